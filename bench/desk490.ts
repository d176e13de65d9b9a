/**
 * The desk the issue asks for: 490 simulated boards (35 per agent process), each publishing
 * one telemetry sample a second, running an experiment that holds for 5 minutes with guests
 * on every board. Printed beside its baseline from the same run: the ideal, one sample per
 * board per second of the window, so "received" reads as a share of what a perfect desk
 * would have delivered, and every gap between a board's samples shows as a percentile.
 * First, the time `desk up` takes until every board is online (target <= 30 s) beside the floor
 * the desk broker sets: every board's login alone, with bare clients (bench/lib/broker-floor.ts).
 *
 *   npm run bench -- desk490       (BENCH_BOARDS, BENCH_PER_PROCESS, BENCH_HOLD, BENCH_GUESTS;
 *                                   BENCH_DESK490_PHASE=up stops after desk up and its floor)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { measureBrokerFloor } from './lib/broker-floor.ts';
import type { UpResult } from '../host/desk/up.ts';
import { boardIds } from '../host/locations/layout.ts';

const run = promisify(execFile);
const BOARDS = Number(process.env.BENCH_BOARDS ?? 490);
const PER_PROCESS = Number(process.env.BENCH_PER_PROCESS ?? 35);
const HOLD = process.env.BENCH_HOLD ?? '5m';
const GUESTS = Number(process.env.BENCH_GUESTS ?? 2);
const ONLY_UP = process.env.BENCH_DESK490_PHASE === 'up';
const UP_TARGET_S = 30;
const cli = new URL('../dist/deskbox.mjs', import.meta.url).pathname;
const deskbox = (args: string[], timeoutMs: number) => run(process.execPath, [cli, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 });

const plan = `name: desk${BOARDS}
description: ${BOARDS} boards, 1 sample/s each, ${GUESTS} guests per board, held ${HOLD}
boards: all
reboot: false
guests: { perBoard: ${GUESTS}, image: busybox, profile: light, ramp: { batch: ${GUESTS}, every: 1s } }
idle: 5s
hold: ${HOLD}
telemetry: { periodS: 1 }
`;

/** Gaps between consecutive samples of each board, over the hold, in ms. */
function sampleGaps(store: string, from: number, to: number): number[] {
  const db = new Database(store, { readonly: true });
  try {
    const rows = db.prepare('SELECT board, at FROM telemetry WHERE at BETWEEN ? AND ? ORDER BY board, at').all(from, to) as { board: string; at: number }[];
    const gaps: number[] = [];
    for (let i = 1; i < rows.length; i++) if (rows[i]!.board === rows[i - 1]!.board) gaps.push(rows[i]!.at - rows[i - 1]!.at);
    return gaps.sort((a, b) => a - b);
  } finally {
    db.close();
  }
}

/** Processes in the desk's process group (the supervisor leads it): its whole footprint. */
async function deskProcesses(pgid: number): Promise<number> {
  const { stdout } = await run('ps', ['-e', '-o', 'pgid=']);
  return stdout.split('\n').filter((l) => Number(l.trim()) === pgid).length;
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

const dir = await mkdtemp(join(tmpdir(), 'deskbox-bench-desk490-'));
const state = join(dir, 'desk');
let upFigures: { upS: number; desk: string } | undefined;
try {
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  const t0 = performance.now();
  const up = JSON.parse((await deskbox(['desk', 'up', '--boards', String(BOARDS), '--boards-per-process', String(PER_PROCESS), '--telemetry-period', '1',
    '--boot-delay', '200', '--timeout', '900', '--state', state, '--json'], 1_000_000)).stdout) as UpResult;
  const upS = (performance.now() - t0) / 1000;
  const processes = await deskProcesses(up.pid);
  const p = up.phases;
  const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  process.stdout.write(`${BOARDS} boards, ${PER_PROCESS} per process, fresh state folder, load average before: ${load}\n`);
  process.stdout.write(`  desk up until all online: ${upS.toFixed(1)} s (provision ${s1(p.provisionMs)}, images ${s1(p.imagesMs)}, supervisor start ${s1(p.supervisorMs)}, boards online ${s1(p.onlineMs)}); ${processes} processes in the desk\n`);
  // The floor is measured once the desk is down, on its broker's files: boards would fight the bare clients for their client ids.
  upFigures = { upS, desk: up.desk };
  if (!ONLY_UP) await experiment();
} finally {
  await deskbox(['desk', 'down', '--state', state, '--timeout', '120'], 300_000).catch((e: Error) => process.stderr.write(`desk down: ${e.message}\n`));
}
try {
  if (upFigures) {
    const floor = await measureBrokerFloor(cli, state, upFigures.desk, boardIds(BOARDS));
    process.stdout.write(`  baseline: ${BOARDS} bare mqtt.js logins with the boards' credentials, fresh desk broker: ${(floor.ms / 1000).toFixed(1)} s (${floor.retries} retries)\n`);
    process.stdout.write(`  target: desk up <= ${UP_TARGET_S} s: ${upFigures.upS <= UP_TARGET_S ? 'met' : 'NOT met'}\n`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** The 5-minute run on the desk that is up, and its table. */
async function experiment(): Promise<void> {
  await writeFile(join(dir, 'plan.yaml'), plan);
  const out = JSON.parse((await deskbox(['run', join(dir, 'plan.yaml'), '--state', state, '--out', join(dir, 'runs'), '--json'], 3_600_000)).stdout);
  const s = out.summary;
  const mark = (name: string) => (s.marks as { name: string; at: number }[]).find((m) => m.name === name)!.at;
  const [holdFrom, holdTo] = [mark('hold-start'), mark('hold-end')];
  const held = s.boards.length * (holdTo - holdFrom) / 1000;
  const gaps = sampleGaps(join(out.bundle, 'store.db'), holdFrom, holdTo);
  const inHold = gaps.length + s.boards.length;
  process.stdout.write(`${GUESTS} guests each; run ${out.runId}\n`);
  const rows = [
    ['', 'samples in hold', 'lost (whole run)', 'malformed', 'duplicates', 'gap p50', 'gap p99', 'gap max'],
    ['baseline: ideal, 1/s', String(Math.round(held)), '0', '0', '0', '1000 ms', '1000 ms', '1000 ms'],
    ['deskbox', `${inHold} (${(100 * inHold / held).toFixed(1)}%)`, String(s.counts.lostTelemetry), String(s.counts.malformed),
      String(s.counts.duplicates), `${q(gaps, 0.5)} ms`, `${q(gaps, 0.99)} ms`, `${gaps.at(-1)} ms`],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) process.stdout.write(`  ${r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}\n`);
  process.stdout.write(`  target: no sample lost: ${s.counts.lostTelemetry === 0 ? 'met' : 'NOT met'}\n`);
  process.stdout.write(`guests booted ${s.desk.guestsBooted}, failed ${s.desk.guestsFailed}; telemetry rows ${s.counts.telemetry}; report ${out.report}\n`);
}
