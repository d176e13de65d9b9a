/**
 * The desk the issue asks for: 490 simulated boards (35 per agent process), each publishing
 * one telemetry sample a second, running an experiment that holds for 5 minutes with guests
 * on every board. Printed beside its baseline from the same run: the ideal, one sample per
 * board per second of the window, so "received" reads as a share of what a perfect desk
 * would have delivered, and every gap between a board's samples shows as a percentile.
 *
 *   npm run bench -- desk490       (BENCH_BOARDS, BENCH_PER_PROCESS, BENCH_HOLD, BENCH_GUESTS)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';

const run = promisify(execFile);
const BOARDS = Number(process.env.BENCH_BOARDS ?? 490);
const PER_PROCESS = Number(process.env.BENCH_PER_PROCESS ?? 35);
const HOLD = process.env.BENCH_HOLD ?? '5m';
const GUESTS = Number(process.env.BENCH_GUESTS ?? 2);
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

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

const dir = await mkdtemp(join(tmpdir(), 'deskbox-bench-desk490-'));
const state = join(dir, 'desk');
try {
  const t0 = performance.now();
  await deskbox(['desk', 'up', '--boards', String(BOARDS), '--boards-per-process', String(PER_PROCESS), '--telemetry-period', '1',
    '--boot-delay', '200', '--timeout', '900', '--state', state, '--json'], 1_000_000);
  const upS = (performance.now() - t0) / 1000;
  await writeFile(join(dir, 'plan.yaml'), plan);
  const out = JSON.parse((await deskbox(['run', join(dir, 'plan.yaml'), '--state', state, '--out', join(dir, 'runs'), '--json'], 3_600_000)).stdout);
  const s = out.summary;
  const mark = (name: string) => (s.marks as { name: string; at: number }[]).find((m) => m.name === name)!.at;
  const [holdFrom, holdTo] = [mark('hold-start'), mark('hold-end')];
  const held = s.boards.length * (holdTo - holdFrom) / 1000;
  const gaps = sampleGaps(join(out.bundle, 'store.db'), holdFrom, holdTo);
  const inHold = gaps.length + s.boards.length;
  process.stdout.write(`${BOARDS} boards, ${PER_PROCESS} per process, ${GUESTS} guests each; desk up ${upS.toFixed(0)} s; run ${out.runId}\n`);
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
} finally {
  await deskbox(['desk', 'down', '--state', state, '--timeout', '120'], 300_000).catch((e: Error) => process.stderr.write(`desk down: ${e.message}\n`));
  await rm(dir, { recursive: true, force: true });
}
