/**
 * A QEMU board on a desk broker: an emulated ARMv7 machine (qemu-system-arm -M virt, Cortex-A15)
 * runs Debian's U-Boot, which finds extlinux.conf on the board's disk and boots Debian's armmp
 * kernel; the initramfs mounts the shared system partition under the board's own, and the
 * board's init runs the boot program the way its systemd unit would. The boot program checks
 * slot a (an image built by `image build board --arch armv7`, put there by the installer the
 * image carries) and starts the agent, which reaches the broker on this machine's loopback
 * through QEMU's one forwarded address. The tests read the boot phases off the serial console,
 * ask the board for `uname -m` over MQTT, flash a new image through the real U-Boot into the
 * board's inbox (the boot program makes it slot b's trial and the agent confirms it), then power
 * the board off and check that nothing is left.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createLogger } from '../../platform/log.ts';
import { createDeskBroker } from '../../broker/server.ts';
import { newUser, UserStore } from '../../broker/users.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { prepareQemuBoardDisk, DISK_FILE } from '../../host/qemu/prepare-board.ts';
import { BOARD_BROKER_URL, startQemuMachine } from '../../host/qemu/machine.ts';
import { watchConsolePhases, CONSOLE_PHASES, type ConsolePhaseWatch } from '../../host/qemu/boot-phases.ts';
import { flashOne, type FlashResult } from '../../host/flash/flash-one.ts';
import { BUILTIN_PROFILES } from '../../host/flash/uboot-profile.ts';
import { systemClock } from '../../platform/clock.ts';
import { openQemuBoardOs, qemuOsDir } from '../../host/qemu/os-cache.ts';
import { isAlive } from '../../host/locations/desk-file.ts';
import { deskbox, processesMentioning } from '../support/deskbox.ts';
import { runProgram } from '../support/run-program.ts';
import { tempDir } from '../support/temp-dir.ts';
import { waitFor } from '../support/wait.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const DESK = 'qdesk';
const BOARD = 'q01';
const PASSWORD = 'qemu-board-password';
/** Measured ~40 s from power-on to online on an idle 2-core machine; TCG slows a lot under load. */
const ONLINE_WITHIN_MS = 300_000;
/** Measured ~90 s for a 1 MB image. */
const FLASH_WITHIN_MS = 400_000;

// Built once and cached (~1 min the first time): a no-op when .cache/qemu-armhf is current.
const built = await runProgram(join(ROOT, 'scripts', 'build-qemu-board-os.sh'), [], { timeoutMs: 600_000 });
if (built.code !== 0) throw new Error(`scripts/build-qemu-board-os.sh: ${built.stderr}`);
const os = openQemuBoardOs(qemuOsDir(ROOT));

const work = await tempDir('deskbox-e2e-qemu-board-');
const state = join(work.path, 'desk');
const image = join(work.path, 'board-armv7.dbi');
await deskbox(['keys', 'init', '--state', state]);
const imageV2 = join(work.path, 'board-armv7-v2.dbi');
await deskbox(['image', 'build', 'board', '--arch', 'armv7', '--type', 'qemu-virt', '--state', state, '-o', image]);
await deskbox(['image', 'build', 'board', '--arch', 'armv7', '--type', 'qemu-virt', '--version', '0.2.0-uboot', '--state', state, '-o', imageV2]);
await mkdir(join(work.path, 'host'));
const hostPasswordFile = join(work.path, 'host', 'password');
await writeFile(hostPasswordFile, PASSWORD, { mode: 0o600 });

const users = new UserStore(await Promise.all([
  newUser({ role: 'host', username: 'host' }, PASSWORD),
  newUser({ role: 'board', username: BOARD, desk: DESK, board: BOARD }, PASSWORD),
]));
const broker = await createDeskBroker({ users, logger: createLogger('broker', () => undefined), wsPort: null });
const brokerUrl = `mqtt://127.0.0.1:${broker.tcpPort}`;

/** Every QEMU this file starts, so none outlives it should a test crash. */
const started: number[] = [];
process.once('exit', () => { for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL'); });

const dir = join(work.path, BOARD);
await mkdir(dir);
const diskStart = performance.now();
const disk = await prepareQemuBoardDisk(dir, os, join(ROOT, 'dist', 'board-boot.mjs'), {
  board: BOARD, desk: DESK, brokerUrl: BOARD_BROKER_URL, password: PASSWORD, trust: join(state, 'keys', 'desk.pub'), image,
});
const diskMs = performance.now() - diskStart;
const board = await startQemuMachine({ dir, disk, brokerPort: broker.tcpPort! });
started.push(board.pid);

const watcher = await mqtt.connectAsync(brokerUrl, { username: 'host', password: PASSWORD, protocolVersion: 4 });
let status: { state?: string; version?: string; image?: { slot?: string; version?: string } } = {};
watcher.on('message', (_t, p) => { try { status = JSON.parse(p.toString()); } catch { /* an empty retained message clears it */ } });
await watcher.subscribeAsync(`deskbox/${DESK}/boards/${BOARD}/status`, { qos: 1 });

test.after(async () => {
  await watcher.endAsync();
  await board.close();
  await broker.close();
  await work.remove();
});

/** The board's console, read while `body` runs: QEMU drops what the board prints while nobody holds the pty open. */
async function onConsole<T>(body: (phases: ConsolePhaseWatch) => Promise<T>): Promise<T> {
  const phases = watchConsolePhases();
  const link = await serialportBinding().open(board.pty, { baudRate: 115200 });
  link.onData((c) => phases.feed(c));
  try {
    return await body(phases);
  } finally {
    await link.close();
  }
}

const seconds = (from: number, t: number | undefined) => (t === undefined ? '-' : `${((t - from) / 1000).toFixed(1)} s`);

test('power-on: U-Boot, the armmp kernel, slot a, the agent online; it says armv7l', () => onConsole(async (phases) => {
  const powerOn = performance.now();
  await board.reset();
  const onlineAt = await waitFor(() => status.state === 'online' && performance.now(), { timeoutMs: ONLINE_WITHIN_MS, pollMs: 200, what: () => `${BOARD} online; console:\n${phases.text().slice(-3000)}` });
  await waitFor(() => phases.seen().agent, { timeoutMs: 30_000, what: 'the agent\'s banner on the console' });
  const seen = phases.seen();
  console.log(`  qemu board: disk built in ${Math.round(diskMs)} ms; from power-on: ${CONSOLE_PHASES.map((p) => `${p.phase} ${seconds(powerOn, seen[p.phase])}`).join(', ')}, online ${seconds(powerOn, onlineAt)}`);
  for (const p of CONSOLE_PHASES) assert.ok(seen[p.phase] !== undefined, `${p.phase} on the console`);
  assert.is(status.image?.slot, 'a');
  const exec = await deskbox(['exec', '--broker', brokerUrl, '--desk', DESK, '--user', 'host', '--password-file', hostPasswordFile, '--json', BOARD, '--', 'uname', '-m'], 120_000);
  assert.match(exec.stdout, /armv7l/);
}));

test('flash --method uboot: the real U-Boot writes the image into the inbox; the board boots it as slot b\'s trial and confirms it', async () => {
  let printed = '';
  const t0 = performance.now();
  let result: FlashResult | undefined;
  let failed: Error | undefined;
  flashOne({ label: BOARD, port: board.pty }, {
    imageFile: imageV2, method: 'uboot', profile: BUILTIN_PROFILES['qemu-board']!, baud: 115200, clock: systemClock(), retries: 1,
    onResetNeeded: () => { void board.reset(); },
    onOutput: (_t, chunk) => { printed += chunk.toString('latin1'); },
  }).then((r) => { result = r; }, (e: Error) => { failed = e; });
  // ~1 MB through QEMU's emulated UART at ~12 KB/s, after U-Boot's countdown.
  const done = await waitFor(() => result ?? failed, { timeoutMs: FLASH_WITHIN_MS, pollMs: 500, what: () => `the U-Boot flash; console:\n${printed.slice(-2000)}` });
  if (done instanceof Error) throw done;
  const flashed: FlashResult = done;
  const flashedAt = performance.now();
  assert.ok(flashed.ok, `${JSON.stringify(flashed.error)}\n${printed.slice(-2000)}`);
  assert.match(printed, /blocks written: OK/);
  await onConsole(async (phases) => {
    const onlineAt = await waitFor(() => status.state === 'online' && status.image?.slot === 'b' && performance.now(),
      { timeoutMs: ONLINE_WITHIN_MS, pollMs: 200, what: () => `${BOARD} online from slot b; status ${JSON.stringify(status)}; console:\n${phases.text().slice(-3000)}` });
    console.log(`  qemu board: U-Boot flash of ${flashed.imageBytes} bytes in ${seconds(t0, flashedAt)} (transfer ${Math.round(flashed.uboot?.transferMs ?? 0)} ms), online from slot b ${seconds(flashedAt, onlineAt)} later`);
    assert.is(status.image?.version, '0.2.0-uboot');
  });
  // The agent confirms the trial once it is online and ready: slot b becomes the active slot.
  const bootEnv = () => deskbox(['exec', '--broker', brokerUrl, '--desk', DESK, '--user', 'host', '--password-file', hostPasswordFile, '--json', BOARD, '--', 'cat', '/var/lib/deskbox/flash/bootenv.json'], 120_000);
  let last = '';
  await waitFor(async () => /\\"active\\":\\"b\\"}/.test(last = (await bootEnv()).stdout), { timeoutMs: 120_000, pollMs: 1000, what: () => `slot b confirmed; bootenv.json: ${last}` });
});

test('power off: QEMU quits, and neither it nor its broker forwarders are left', async () => {
  await board.close();
  assert.not.ok(isAlive(board.pid), 'qemu is gone');
  // QEMU's forwarder (one socat per broker connection) ends with its connection.
  await waitFor(async () => (await processesMentioning(`TCP:127.0.0.1:${broker.tcpPort}`)).length === 0, { timeoutMs: 10_000, what: 'no socat forwarder left' });
  assert.equal((await readdir(dir)).filter((f) => f !== 'qemu-monitor.sock'), [DISK_FILE], 'only the disk in the board folder');
  assert.match(await readFile(os.versionsFile, 'utf8'), /^kernel \d+\.\d+\.\d+-\d+-armmp$/m);
});

test.run();
