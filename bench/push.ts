/**
 * `deskbox push` on a simulated desk of 16 boards, a 32 MiB file: the tree (fan-out 4)
 * beside a star in the same run (fan-out 16: every board fetches from the host). Each run
 * pushes to fresh paths, so nothing resumes. On one machine loopback is not a 100 Mbit link,
 * so the times mostly measure hashing and disk; the bytes the host sent are what a real desk
 * feels, and the last rows turn them into link time at 100 Mbit.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PushReport } from '../host/push/report.ts';
import { median, printRows, spread } from './lib/stats.ts';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BOARDS = 16;
const FANOUT = 4;
const SIZE = 32 << 20;
const MiB = 1 << 20;
/** 100 Mbit/s in bytes per second: one board's (and, on a plain desk, the host's) link. */
const LINK = 100e6 / 8;
const cli = new URL('../dist/deskbox.mjs', import.meta.url).pathname;

const state = await mkdtemp(join(tmpdir(), 'deskbox-bench-push-'));
const deskbox = async (...args: string[]) => (await run(process.execPath, [cli, ...args, '--state', state], { maxBuffer: 16 * MiB })).stdout;
try {
  await deskbox('desk', 'up', '--boards', String(BOARDS), '--json');
  const file = join(state, 'payload.bin');
  await writeFile(file, randomBytes(SIZE));
  const push = async (fanout: number, i: number): Promise<PushReport> => {
    const report = JSON.parse(await deskbox('push', file, join(state, 'pushed', '{board}', `k${fanout}-${i}.bin`), '--boards', 'all', '--fanout', String(fanout), '--json')) as PushReport;
    if (!report.ok) throw new Error(`push with fan-out ${fanout} failed: ${JSON.stringify(report.results.filter((r) => !r.ok))}`);
    await rm(join(state, 'pushed'), { recursive: true, force: true });
    return report;
  };
  const tree: PushReport[] = [];
  const star: PushReport[] = [];
  for (let i = 0; i < RUNS; i++) {
    tree.push(await push(FANOUT, i));
    star.push(await push(BOARDS, i));
  }
  const ms = (rs: PushReport[]) => rs.map((r) => r.elapsedMs);
  const hostMiB = (rs: PushReport[]) => rs.map((r) => r.hostBytes / MiB);
  const depth = tree[0]!.depth;
  // On 100 Mbit links each level of the tree costs one source sending the file k times.
  const treeLinkS = (n: number) => Math.ceil(Math.log(n * (FANOUT - 1) / FANOUT + 1) / Math.log(FANOUT)) * FANOUT * SIZE / LINK;
  printRows(`push ${SIZE / MiB} MiB to ${BOARDS} simulated boards, ${RUNS} runs each`, [
    { what: `tree, fan-out ${FANOUT} (depth ${depth})`, median: median(ms(tree)), unit: 'ms', range: spread(ms(tree)), note: `${(median(ms(tree)) / median(ms(star))).toFixed(2)}x star` },
    { what: `star, every board from the host`, median: median(ms(star)), unit: 'ms', range: spread(ms(star)) },
    { what: 'tree: bytes the host sent', median: median(hostMiB(tree)), unit: 'MiB', range: spread(hostMiB(tree)) },
    { what: 'star: bytes the host sent', median: median(hostMiB(star)), unit: 'MiB', range: spread(hostMiB(star)) },
  ]);
  process.stdout.write(`\nthe same pushes on 100 Mbit links (link time only, from the bytes above)\n`
    + `  ${BOARDS} boards: tree ${treeLinkS(BOARDS).toFixed(1)} s, star ${(BOARDS * SIZE / LINK).toFixed(1)} s\n`
    + `  490 boards: tree ${treeLinkS(490).toFixed(1)} s, star ${(490 * SIZE / LINK).toFixed(1)} s\n`);
} finally {
  await run(process.execPath, [cli, 'desk', 'down', '--state', state]).catch(() => undefined);
  await rm(state, { recursive: true, force: true });
}
