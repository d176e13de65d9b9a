/**
 * A desk of B boards x G guests at its real rates, end to end on one machine: the desk broker
 * (`deskbox broker`, own process), the synthetic boards (own process, one connection per board),
 * and in this process the host side of `deskbox run` (seed-scale-host.ts) beside a plain
 * counting subscriber. After the run the boards go quiet, the host must then hold exactly what
 * they published, and the bundle's summary and report are built as `deskbox run` builds them.
 * Shared by `npm run bench -- seedscale` and test/host/seed-scale.test.ts.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readProcStat } from '../../platform/proc-stat.ts';
import { buildReport } from '../../host/experiment/bundle.ts';
import type { RunOutcome } from '../../host/experiment/runner.ts';
import type { RunSummary } from '../../host/analysis/summary.ts';
import { summarize, type Stats } from '../../host/analysis/percentiles.ts';
import type { StoreCounts } from '../../host/store/types.ts';
import { waitFor } from '../../test/support/wait.ts';
import { startChild } from './child.ts';
import { startCountingSubscriber } from './counting-subscriber.ts';
import { startDeskBrokerCli } from './desk-broker-cli.ts';
import { procMemory } from './proc-memory.ts';
import { openHostRun } from './seed-scale-host.ts';
import type { PublishedCounts } from './synthetic-desk.ts';

export interface SeedScaleOptions {
  /** Work folder: the broker's files and the run bundle (`run/`). */
  dir: string;
  boards: number;
  guestsPerBoard: number;
  /** Guests a board boots a second, and the boot time each reports (ms). */
  launchPerS: number;
  bootMs: number;
  periodS: number;
  holdS: number;
  /** Guests per `guests.start` step of the ramp. */
  rampBatch: number;
  /**
   * Board logins at scrypt's least cost (N = 1024) instead of the default: for a short test,
   * where the boards' connection storm is not what is measured.
   */
  cheapLogins?: boolean;
}

interface ProcessFigures { cpuS: number; rssMB: number }
interface PublisherHealth extends ProcessFigures { connectMs?: number; loopDelayP99Ms: number; loopDelayMaxMs: number; peakPerS: number; counts: PublishedCounts }

export interface SeedScaleResult {
  outcome: RunOutcome;
  published: PublishedCounts;
  stored: StoreCounts;
  baseline: Record<string, number>;
  /** Telemetry: host receive time minus the board's `at`, ms; as stored (all, and by phase), and as the baseline saw it. */
  lagMs: Stats;
  lagByPhaseMs: { launch: Stats | null; hold: Stats | null };
  baselineLagMs: Stats;
  flushMs: Stats;
  hostLoopDelayP99Ms: number;
  runS: number;
  /** Messages the broker acknowledged a second on average over the run (the busiest second sent: `published.peakPerS`). */
  messagesPerS: number;
  storeMB: number;
  reportMs: number;
  reportFile: string;
  summary: RunSummary;
  host: ProcessFigures;
  broker: ProcessFigures;
  publisher: PublisherHealth;
  storeErrors: string[];
}

const DESK = 'seed';
const TICKS_PER_S = 100;

export const boardNames = (n: number) => Array.from({ length: n }, (_, i) => `b${String(i + 1).padStart(3, '0')}`);

export function seedPlan(o: SeedScaleOptions): string {
  return [
    'name: seedscale', 'boards: all', 'reboot: false',
    `guests: { perBoard: ${o.guestsPerBoard}, image: busybox, profile: light, ramp: { batch: ${o.rampBatch}, every: 0s } }`,
    'idle: 0s', `hold: ${o.holdS}s`, `telemetry: { periodS: ${o.periodS} }`, 'repetitions: 1',
    'timeouts: { boot: 3m, launchStep: 5m, stop: 1m }', '',
  ].join('\n');
}

const sent = (p: PublishedCounts) => p.status + p.telemetry + p.bootPhases + p.guestEvents + p.replies;

export async function runSeedScale(o: SeedScaleOptions): Promise<SeedScaleResult> {
  const boards = boardNames(o.boards);
  const broker = await startDeskBrokerCli(o.dir, DESK, boards, o.cheapLogins ? { N: 1024, r: 8, p: 1, keylen: 32 } : undefined);
  const cleanup: (() => Promise<unknown>)[] = [() => broker.close()];
  try {
    const baseline = await startCountingSubscriber(broker.url, 'host', broker.hostPassword, DESK);
    cleanup.unshift(() => baseline.close());
    const host = await openHostRun({ url: broker.url, password: broker.hostPassword, desk: DESK, dir: join(o.dir, 'run') });
    cleanup.unshift(() => host.close());
    const publisher = await startChild(new URL('./synthetic-desk-child.ts', import.meta.url).pathname);
    cleanup.unshift(() => publisher.stop());
    const loop = monitorEventLoopDelay({ resolution: 10 });
    const started = await publisher.request<PublisherHealth>({ op: 'start', options: { url: broker.url, desk: DESK, boards, password: broker.boardPassword, periodS: o.periodS, launchPerS: o.launchPerS, bootMs: o.bootMs } }, 300_000);
    // From here on: the desk at work, not the boards' connection storm (490 scrypt checks).
    const t0 = Date.now(), cpu0 = process.cpuUsage(), brokerCpu0 = cpuSeconds(broker.pid);
    loop.enable();
    const outcome = await host.run(seedPlan(o), boards);
    const end = await publisher.request<PublisherHealth>({ op: 'quiesce', timeoutMs: 30_000 });
    const runS = (Date.now() - t0) / 1000;
    const published = end.counts;
    // The boards are quiet: the host must now hold exactly what the broker acknowledged.
    const want = { telemetry: published.telemetry, events: published.bootPhases + published.guestEvents, statuses: published.status, guestBoots: published.guestsBooted };
    await waitFor(() => { const c = host.store.counts(); return Object.entries(want).every(([k, n]) => c[k as keyof typeof want] >= n); },
      { timeoutMs: 30_000, what: () => `the store to hold ${JSON.stringify(want)} (has ${JSON.stringify(host.store.counts())})` });
    await waitFor(() => (baseline.counts().telemetry ?? 0) >= published.telemetry, { timeoutMs: 30_000, what: 'the baseline subscriber to count every telemetry message' });
    loop.disable();
    const cpu = process.cpuUsage(cpu0);
    const hostFigures = { cpuS: (cpu.user + cpu.system) / 1e6, rssMB: process.resourceUsage().maxRSS / 1024 };
    const stored = host.store.counts();
    const rows = host.store.telemetry();
    const lagMs = summarize(rows.map((r) => r.receivedAt - r.at))!;
    const marks = host.store.marks();
    const between = (from: string, to: string) => {
      const [a, b] = [marks.find((m) => m.name === from)?.at ?? Infinity, marks.find((m) => m.name === to)?.at ?? -Infinity];
      return summarize(rows.filter((r) => r.at >= a && r.at <= b).map((r) => r.receivedAt - r.at));
    };
    const lagByPhaseMs = { launch: between('launch-start', 'launch-end'), hold: between('hold-start', 'hold-end') };
    const flushMs = summarize(host.flushMs)!;
    const brokerFigures = { cpuS: cpuSeconds(broker.pid) - brokerCpu0, rssMB: (await procMemory(broker.pid)).rssMB };
    await host.close(outcome);
    const storeMB = ['', '-wal'].reduce((s, ext) => s + (statSync(host.paths.store + ext, { throwIfNoEntry: false })?.size ?? 0), 0) / 2 ** 20;
    const r0 = performance.now();
    const { summary, report } = await buildReport(host.paths.dir);
    const reportMs = performance.now() - r0;
    return {
      outcome, published, stored, baseline: baseline.counts(), lagMs, lagByPhaseMs, baselineLagMs: summarize(baseline.telemetryLagMs())!, flushMs,
      hostLoopDelayP99Ms: loop.percentile(99) / 1e6, runS, messagesPerS: (sent(published) - sent(started.counts)) / runS, storeMB, reportMs, reportFile: report, summary,
      host: hostFigures, broker: brokerFigures, publisher: { ...end, cpuS: end.cpuS - started.cpuS, connectMs: started.connectMs }, storeErrors: host.storeErrors,
    };
  } finally {
    for (const step of cleanup) await step().catch(() => undefined);
  }
}

function cpuSeconds(pid: number): number {
  const s = readProcStat(pid);
  return s ? (s.utimeTicks + s.stimeTicks) / TICKS_PER_S : NaN;
}
