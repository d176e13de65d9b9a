/**
 * `deskbox desk up --boards 8` until all 8 are online, beside a baseline from the same run:
 * 8 mqtt.js-only processes spawned at once against a desk broker, until all 8 have published
 * a retained online. Both include process start; desk up also starts the broker, the
 * supervisor, 8 pty consoles and the power model. The state folder is reused between runs,
 * as a user's is, so passwords are hashed only on the first.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { boardClientId, boardTopic } from '../broker/contract/topics.ts';
import { median, printRows, spread } from './lib/stats.ts';
import { BENCH_DESK, BENCH_PASSWORD, startBenchDesk } from './lib/bench-desk.ts';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BOARDS = 8;
const cli = new URL('../dist/deskbox.mjs', import.meta.url).pathname;

async function baselineOnce(): Promise<number> {
  const ids = Array.from({ length: BOARDS }, (_, i) => `m${i}`);
  const desk = await startBenchDesk(ids);
  const children: ChildProcess[] = [];
  try {
    const seen = Promise.all(ids.map((b) => desk.onlineSeen(boardTopic(BENCH_DESK, b, 'status'))));
    const t0 = performance.now();
    for (const b of ids) {
      children.push(spawn(process.execPath, [desk.baseline], {
        stdio: 'ignore',
        env: { ...process.env, BENCH_URL: desk.url, BENCH_USER: b, BENCH_CLIENT_ID: boardClientId(BENCH_DESK, b), BENCH_PASSWORD, BENCH_TOPIC: boardTopic(BENCH_DESK, b, 'status') },
      }));
    }
    return Math.max(...(await seen)) - t0;
  } finally {
    await Promise.all(children.map((c) => new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); })));
    await desk.close();
  }
}

async function deskUpOnce(state: string): Promise<{ wallMs: number; reportedMs: number }> {
  const t0 = performance.now();
  const { stdout } = await run(process.execPath, [cli, 'desk', 'up', '--boards', String(BOARDS), '--state', state, '--json']);
  const wallMs = performance.now() - t0;
  await run(process.execPath, [cli, 'desk', 'down', '--state', state]);
  return { wallMs, reportedMs: JSON.parse(stdout).msToAllOnline };
}

const state = await mkdtemp(join(tmpdir(), 'deskbox-bench-desk-'));
const base: number[] = [];
const wall: number[] = [];
const reported: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    base.push(await baselineOnce());
    const r = await deskUpOnce(state);
    wall.push(r.wallMs);
    reported.push(r.reportedMs);
  }
} finally {
  await run(process.execPath, [cli, 'desk', 'down', '--state', state]).catch(() => undefined);
  await rm(state, { recursive: true, force: true });
}

printRows(`desk up --boards ${BOARDS} until all online, ${RUNS} runs, medians`, [
  { what: `baseline: ${BOARDS} mqtt.js-only processes at once`, median: median(base), unit: 'ms', range: spread(base) },
  { what: 'deskbox desk up: whole command', median: median(wall), unit: 'ms', range: spread(wall) },
  { what: 'deskbox desk up: supervisor start -> all online', median: median(reported), unit: 'ms', range: spread(reported) },
]);
process.stdout.write(`  desk up / baseline: ${(median(wall) / median(base)).toFixed(2)}x; target: whole command <= 5000 ms\n`);
