/**
 * Board agent start-up and idle memory, beside two baselines measured in the same run:
 *   bare     `node` idling (the floor of any Node process)
 *   mqtt     a bundled script that only loads mqtt.js, connects and publishes a retained online
 * Both scripts run with the agent's Node flags (board/node-flags.ts), as the desk runs agents.
 *   agent    the real board bundle with simulated hardware and a real pty console
 * Time = process spawn -> retained `online` seen by a subscriber on the same broker.
 * Memory = Anonymous and Rss from /proc/PID/smaps_rollup after the process has idled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { boardClientId, boardTopic } from '../broker/contract/topics.ts';
import type { BoardConfig } from '../board/config/board-config.ts';
import { createHwmonWriter, modelPower } from '../host/desk/power-model.ts';
import { openPtyPair } from '../host/desk/pty-pair.ts';
import { median, printRows, spread, type Row } from './lib/stats.ts';
import { procMemory, type ProcMemory } from './lib/proc-memory.ts';
import { BENCH_DESK as DESK, BENCH_PASSWORD as pw, startBenchDesk } from './lib/bench-desk.ts';
import { AGENT_NODE_FLAGS } from '../board/launch/node-flags.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const IDLE_MS = 3000;

const desk = await startBenchDesk(['b00', 'b01']);
const { url, watcher, baseline, onlineSeen } = desk;

// One simulated board's hardware, as the desk provides it.
const hw = join(desk.work, 'b01');
await mkdir(join(hw, 'gpio'), { recursive: true });
const hwmon = createHwmonWriter(join(hw, 'hwmon'));
await hwmon.write(modelPower({ cpuFraction: 0 }));
const pty = await openPtyPair(hw, 'tty');
await writeFile(join(hw, 'password'), pw);
const config: BoardConfig = {
  v: 1, desk: DESK, board: 'b01', broker: { url, username: 'b01', passwordFile: join(hw, 'password') },
  tags: [], keepaliveS: 10, telemetryPeriodS: 2, samplePeriodS: 1,
  hardware: { power: join(hw, 'hwmon'), gpio: `sim:${join(hw, 'gpio')}`, gpioLines: {}, console: pty.boardPath, consoleBaud: 115200 },
};
await writeFile(join(hw, 'board.json'), JSON.stringify(config));

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function measure(args: string[], env: Record<string, string>, topic?: string): Promise<{ ms?: number; mem: ProcMemory }> {
  if (topic) await watcher.publishAsync(topic, '', { qos: 1, retain: true });
  const seen = topic ? onlineSeen(topic) : undefined;
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  const ms = seen ? (await seen) - t0 : undefined;
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const mem = await procMemory(child.pid!);
  await stop(child);
  return { ms, mem };
}

const results = { bare: [] as { mem: ProcMemory }[], mqtt: [] as { ms?: number; mem: ProcMemory }[], agent: [] as { ms?: number; mem: ProcMemory }[] };
for (let i = 0; i < RUNS; i++) {
  results.bare.push(await measure(['-e', 'setInterval(() => {}, 1e9)'], {}));
  results.mqtt.push(await measure([...AGENT_NODE_FLAGS, baseline], { BENCH_URL: url, BENCH_USER: 'b00', BENCH_CLIENT_ID: boardClientId(DESK, 'b00'), BENCH_PASSWORD: pw, BENCH_TOPIC: boardTopic(DESK, 'b00', 'status') }, boardTopic(DESK, 'b00', 'status')));
  results.agent.push(await measure([...AGENT_NODE_FLAGS, new URL('../dist/board.mjs', import.meta.url).pathname, '--config', join(hw, 'board.json')], {}, boardTopic(DESK, 'b01', 'status')));
}

const rows = (name: string, rs: { ms?: number; mem: ProcMemory }[]): Row[] => [
  ...(rs[0]?.ms !== undefined ? [{ what: `${name}: start -> retained online`, median: median(rs.map((r) => r.ms!)), unit: 'ms', range: spread(rs.map((r) => r.ms!)) }] : []),
  { what: `${name}: Anonymous`, median: median(rs.map((r) => r.mem.anonymousMB)), unit: 'MB', range: spread(rs.map((r) => r.mem.anonymousMB)) },
  { what: `${name}: Rss`, median: median(rs.map((r) => r.mem.rssMB)), unit: 'MB', range: spread(rs.map((r) => r.mem.rssMB)) },
];
printRows(`agent start-up and idle memory, ${RUNS} runs each, medians (Node ${process.version}, ${process.arch})`, [
  ...rows('bare node', results.bare),
  ...rows('mqtt.js only', results.mqtt),
  ...rows('board agent', results.agent),
]);
const ratio = median(results.agent.map((r) => r.ms!)) / median(results.mqtt.map((r) => r.ms!));
process.stdout.write(`  agent / mqtt.js-only time to online: ${ratio.toFixed(2)}x (target <= 1.3x)\n`);
process.stdout.write(`  agent Anonymous: ${median(results.agent.map((r) => r.mem.anonymousMB)).toFixed(1)} MB (target <= 32 MB)\n`);

await pty.close();
await desk.close();
