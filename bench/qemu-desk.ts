/**
 * A desk's QEMU board (`desk up --boards 1 --qemu-boards 1`), in one run:
 * - power-on -> each boot phase, from its retained status after `desk power cycle`, beside the
 *   simulated board b01 of the same desk as the baseline;
 * - U-Boot's `loady` through the desk's link emulator (the desk's console settings): deskbox's
 *   U-Boot flash beside lrzsz's `sb -k` on the same console port, both from `loady` to the end
 *   of the transfer, and the line rate (8N1: baud / 10 bytes a second);
 * - the agent protocol over the same console: a whole flash of an armv7 board image whose
 *   blocks are mostly new to the board.
 * The U-Boot image is small (a 128 KB stand-in agent; the board's inbox refuses it by its type
 * and boots on): the line, not the image, is measured.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { systemClock } from '../platform/clock.ts';
import { buildBoardImage } from '../images/build-board.ts';
import { flashOne, type FlashOneOptions } from '../host/flash/flash-one.ts';
import { BUILTIN_PROFILES } from '../host/flash/uboot-profile.ts';
import { median, printRows, spread, type Row } from './lib/stats.ts';
import { deadline, sbRun, TRANSFER_TIMEOUT_MS } from './lib/uboot-console.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const KB = 1024;
const ONLINE_WITHIN_MS = 300_000;
const cli = new URL('../dist/deskbox.mjs', import.meta.url).pathname;
const deskbox = async (...args: string[]) => (await promisify(execFile)(process.execPath, [cli, ...args], { maxBuffer: 16 << 20 })).stdout;

interface Status { state?: string; phases?: { phase: string; at: number }[] }

const work = await mkdtemp(join(tmpdir(), 'deskbox-bench-qemu-desk-'));
const state = join(work, 'desk');
let watcher: mqtt.MqttClient | undefined;
try {
  const up = JSON.parse(await deskbox('desk', 'up', '--boards', '1', '--qemu-boards', '1', '--state', state, '--json')) as { desk: string; broker: { url: string }; monitor: { user: string; password: string } };
  const statuses = new Map<string, Status>();
  watcher = await mqtt.connectAsync(up.broker.url, { username: up.monitor.user, password: up.monitor.password, protocolVersion: 4 });
  watcher.on('message', (t, p) => { try { statuses.set(t.split('/')[3]!, JSON.parse(p.toString()) as Status); } catch { /* cleared */ } });
  await watcher.subscribeAsync(`deskbox/${up.desk}/boards/+/status`, { qos: 1 });
  const phaseOf = (b: string, phase: string) => statuses.get(b)?.phases?.find((p) => p.phase === phase)?.at;
  /** Power-cycles `board` and resolves with its phases (ms from power-on) once it is ready again. */
  const cycle = async (board: string): Promise<Map<string, number>> => {
    const before = phaseOf(board, 'power-on');
    await deskbox('desk', 'power', board, 'cycle', '--state', state);
    await deadline(new Promise<void>((resolve) => {
      const check = () => { const on = phaseOf(board, 'power-on'); if (on !== before && phaseOf(board, 'ready')) { watcher!.off('message', check); resolve(); } };
      watcher!.on('message', check);
      check(); // a simulated board may be back before the power command has returned
    }), ONLINE_WITHIN_MS, () => `${board} ready again`);
    const on = phaseOf(board, 'power-on')!;
    return new Map(statuses.get(board)!.phases!.map((p) => [p.phase, p.at - on]));
  };

  const boots = { q01: [] as Map<string, number>[], b01: [] as Map<string, number>[] };
  for (let i = 0; i < RUNS; i++) {
    boots.q01.push(await cycle('q01'));
    boots.b01.push(await cycle('b01'));
  }
  const phases = [...boots.q01[0]!.keys()].filter((p) => p !== 'power-on');
  const seconds = (runs: Map<string, number>[], p: string) => runs.map((r) => r.get(p)).filter((x): x is number => x !== undefined).map((ms) => ms / 1000);
  printRows(`power-on -> boot phase (retained status after desk power cycle), s, medians of ${RUNS}`, phases.flatMap((p): Row[] => {
    const sim = seconds(boots.b01, p);
    return [{ what: `q01 (QEMU) ${p}`, median: median(seconds(boots.q01, p)), unit: 's', range: spread(seconds(boots.q01, p)), ...(sim.length ? { note: `baseline b01 (simulated): ${median(sim).toFixed(2)} s` } : {}) }];
  }));

  const port = join(state, 'boards', 'q01', 'console', 'port');
  await writeFile(join(work, 'agent.mjs'), randomBytes(128 * KB));
  const small = (await buildBoardImage({ out: join(work, 'small.dbi'), agent: join(work, 'agent.mjs'), agentVersion: '0.0.1', guests: [], type: 'sim', name: 'bench', version: '1', arch: 'armv7' })).file;
  const smallBytes = (await stat(small)).size;
  const base: Omit<FlashOneOptions, 'imageFile' | 'method'> = {
    profile: BUILTIN_PROFILES['qemu-board']!, baud: 115200, clock: systemClock(), retries: 0,
    resetBoard: async () => { await deskbox('desk', 'power', 'q01', 'cycle', '--state', state); },
  };
  const holder = await open(port, constants.O_RDWR | constants.O_NOCTTY);
  const sb: number[] = [];
  const ours: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      await deskbox('desk', 'power', 'q01', 'cycle', '--state', state);
      sb.push(await sbRun(port, holder, small));
      const r = await deadline(flashOne({ label: 'q01', port, board: 'q01' }, { ...base, imageFile: small, method: 'uboot' }), TRANSFER_TIMEOUT_MS, () => 'deskbox flash');
      if (!r.ok) throw new Error(`deskbox flash --method uboot: ${r.error!.code}: ${r.error!.message}`);
      ours.push(r.uboot!.transferMs);
    }
  } finally {
    await holder.close();
  }
  const link = (JSON.parse(await readFile(join(state, 'desk.json'), 'utf8')) as { console: { baud: number; latencyMs: number } }).console;
  const lineKBs = link.baud / 10 / KB;
  const kbs = (bytes: number) => (ms: number) => bytes / KB / (ms / 1000);
  printRows(`U-Boot loady on q01's console (link emulator ${link.baud} baud, ${link.latencyMs} ms), ${(smallBytes / KB).toFixed(0)} KB, KB/s, medians of ${RUNS}`, [
    { what: 'line rate (8N1)', median: lineKBs, unit: 'KB/s', range: '-' },
    { what: 'baseline: lrzsz sb -k -> loady', median: median(sb.map(kbs(smallBytes))), unit: 'KB/s', range: spread(sb.map(kbs(smallBytes))) },
    { what: 'deskbox flash --method uboot', median: median(ours.map(kbs(smallBytes))), unit: 'KB/s', range: spread(ours.map(kbs(smallBytes))), note: `${(median(ours.map(kbs(smallBytes))) / lineKBs * 100).toFixed(0)}% of the line` },
  ]);

  // The agent answers on its console once ready (the U-Boot runs above left it booting).
  await cycle('q01');
  // The agent sends only the blocks the board lacks: a guest of fresh random bytes makes most
  // of the image new, or the same agent bundle again would cross as a few hundred bytes.
  const noise = join(work, 'noise');
  await mkdir(noise);
  await writeFile(join(noise, 'noise'), randomBytes(512 * KB));
  await deskbox('image', 'build', 'guest', '--rootfs', noise, '--arch', 'armv7', '--name', 'noise', '--version', '1', '--state', state, '-o', join(work, 'noise.dbi'));
  const image = join(work, 'agent-flash.dbi');
  await deskbox('image', 'build', 'board', '--arch', 'armv7', '--type', 'qemu-virt', '--version', '0.9.0-bench', '--guest', join(work, 'noise.dbi'), '--state', state, '-o', image);
  const a = await deadline(flashOne({ label: 'q01', port, board: 'q01' }, { ...base, imageFile: image, method: 'agent' }), TRANSFER_TIMEOUT_MS, () => 'agent flash');
  if (!a.ok) throw new Error(`deskbox flash --method agent: ${a.error!.code}: ${a.error!.message}`);
  printRows(`agent protocol on the same console, ${(a.imageBytes / KB).toFixed(0)} KB armv7 board image, one run`, [
    { what: 'line rate (8N1)', median: lineKBs, unit: 'KB/s', range: '-' },
    { what: 'deskbox flash --method agent: bytes on the wire / whole flash time', median: kbs(a.wireBytes)(a.ms), unit: 'KB/s', range: '-', note: `${(a.wireBytes / KB).toFixed(0)} KB sent in ${(a.ms / 1000).toFixed(1)} s` },
    { what: 'the same: image bytes / time (blocks the board had are not sent)', median: kbs(a.imageBytes)(a.ms), unit: 'KB/s', range: '-' },
  ]);
} finally {
  await watcher?.endAsync();
  await deskbox('desk', 'down', '--state', state).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}
