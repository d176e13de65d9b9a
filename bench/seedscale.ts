/**
 * The seed desk at its real rates (issue 16): 490 boards x 256 guests through the real desk
 * broker into the host side of `deskbox run` (bench/lib/seed-scale.ts), beside a plain
 * counting subscriber in the same run. Boards boot guests one after another at the rate a
 * Cortex-A8 would (BENCHMARKS.md, "Seed scale": the x86 figure of one launch in flight, 8.7 ms,
 * times 15), report them once a second and publish telemetry every second (the plans' default).
 * `BENCH_BOARDS`, `BENCH_GUESTS`, `BENCH_SECONDS` (the hold), `BENCH_LAUNCH_RATE` (guests/s a
 * board), `BENCH_BOOT_MS`, `BENCH_PERIOD` (telemetry, s) and `BENCH_RAMP_BATCH` change the shape.
 */
import { loadavg } from 'node:os';
import { statSync } from 'node:fs';
import { runSeedScale, type SeedScaleResult } from './lib/seed-scale.ts';
import { tempDir } from '../test/support/temp-dir.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const options = {
  boards: env('BENCH_BOARDS', 490), guestsPerBoard: env('BENCH_GUESTS', 256),
  launchPerS: env('BENCH_LAUNCH_RATE', 7.7), bootMs: env('BENCH_BOOT_MS', 130),
  periodS: env('BENCH_PERIOD', 1), holdS: env('BENCH_SECONDS', 120), rampBatch: env('BENCH_RAMP_BATCH', 64),
};

const out = (line = '') => process.stdout.write(`${line}\n`);
const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
const share = (cpuS: number, s: number) => `${((100 * cpuS) / s).toFixed(0)}% of a core`;

function print(r: SeedScaleResult, load: number[]): void {
  const p = r.published, s = r.stored, b = r.baseline;
  const guests = options.boards * options.guestsPerBoard;
  out(`\nseed desk: ${options.boards} boards x ${options.guestsPerBoard} guests = ${guests} guests, launch ${options.launchPerS}/s a board, telemetry every ${options.periodS} s, hold ${options.holdS} s`);
  out(`load average before/after: ${load.map((l) => l.toFixed(1)).join(' / ')}`);
  out(`boards connected in ${(r.publisher.connectMs! / 1000).toFixed(1)} s; then the run: ${r.runS.toFixed(0)} s, ${r.messagesPerS.toFixed(0)} messages/s acknowledged on average, ${p.peakPerS} sent in the busiest second`);
  out('\n  what              published   host store   baseline subscriber');
  const row = (what: string, pub: number, st: number, base: number | undefined) => out(`  ${what.padEnd(16)} ${String(pub).padStart(10)} ${String(st).padStart(12)} ${String(base ?? 0).padStart(12)}`);
  row('telemetry', p.telemetry, s.telemetry, b.telemetry);
  row('events', p.bootPhases + p.guestEvents, s.events, b.events);
  row('  guests booted', p.guestsBooted, s.guestBoots, undefined);
  row('statuses', p.status, s.statuses, b.status);
  row('replies', p.replies, s.ignored - (b.cmd ?? 0), b.reply);
  out(`\n  lost telemetry (seq gaps) ${s.lostTelemetry}, malformed ${s.malformed}, duplicates ${s.duplicates}, store errors ${r.storeErrors.length}, publishes failed ${p.failed}`);
  out(`  telemetry lag (host receive - board at): store p50 ${ms(r.lagMs.p50)} p99 ${ms(r.lagMs.p99)} max ${ms(r.lagMs.max)}; baseline p50 ${ms(r.baselineLagMs.p50)} p99 ${ms(r.baselineLagMs.p99)} max ${ms(r.baselineLagMs.max)}`);
  const phase = (st: { p50: number; p99: number } | null) => (st ? `p50 ${ms(st.p50)} p99 ${ms(st.p99)}` : '-');
  out(`  telemetry lag in the store by phase: launch ${phase(r.lagByPhaseMs.launch)}; hold ${phase(r.lagByPhaseMs.hold)}`);
  out(`  store flush every second: p50 ${ms(r.flushMs.p50)} p99 ${ms(r.flushMs.p99)} max ${ms(r.flushMs.max)}; host event-loop delay p99 ${ms(r.hostLoopDelayP99Ms)}`);
  out(`  store ${r.storeMB.toFixed(1)} MB; summary + report ${ms(r.reportMs)}, report.html ${(statSync(r.reportFile).size / 1024).toFixed(0)} KB`);
  out(`  summary: ${r.summary.desk.guestsBooted} guests booted, peak ${r.summary.desk.peakGuestsRunning} running, ${r.summary.desk.boardsReporting} boards reporting`);
  out(`  runner: ${r.outcome.guestsStarted} started, ${r.outcome.guestsFailed} failed, ${r.outcome.lost.length} boards lost, problems ${r.outcome.problems.length}`);
  out(`  CPU over the run: host ${share(r.host.cpuS, r.runS)} (peak RSS ${r.host.rssMB.toFixed(0)} MB), broker ${share(r.broker.cpuS, r.runS)} (RSS ${r.broker.rssMB.toFixed(0)} MB), publisher ${share(r.publisher.cpuS, r.runS)} (RSS ${r.publisher.rssMB.toFixed(0)} MB, event-loop delay p99 ${ms(r.publisher.loopDelayP99Ms)}, max ${ms(r.publisher.loopDelayMaxMs)})`);
  const clean = s.lostTelemetry === 0 && s.telemetry === p.telemetry && s.guestBoots === p.guestsBooted && r.summary.desk.guestsBooted === guests;
  out(`\n  target: 0 loss and every guest in the summary: ${clean ? 'met' : 'NOT met'}`);
}

const work = await tempDir('deskbox-bench-seedscale-');
try {
  const before = loadavg()[0]!;
  const r = await runSeedScale({ dir: work.path, ...options });
  print(r, [before, loadavg()[0]!]);
} finally {
  await work.remove();
}
