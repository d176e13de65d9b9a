/**
 * A QEMU board on a desk broker: an emulated ARMv7 machine (qemu-system-arm -M virt, Cortex-A15)
 * runs Debian's U-Boot, which finds extlinux.conf on the board's disk and boots Debian's armmp
 * kernel; the initramfs mounts the shared system partition under the board's own, and the
 * board's init runs the boot program the way its systemd unit would. The boot program checks
 * slot a (an image built by `image build board --arch armv7`, put there by the installer the
 * image carries) and starts the agent, which reaches the broker on this machine's loopback
 * through QEMU's one forwarded address. The test reads the boot phases off the serial console,
 * asks the board for `uname -m` over MQTT, powers it off and checks that nothing is left.
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
import { watchConsolePhases, CONSOLE_PHASES } from '../../host/qemu/boot-phases.ts';
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

// Built once and cached (~1 min the first time): a no-op when .cache/qemu-armhf is current.
const built = await runProgram(join(ROOT, 'scripts', 'build-qemu-board-os.sh'), [], { timeoutMs: 600_000 });
if (built.code !== 0) throw new Error(`scripts/build-qemu-board-os.sh: ${built.stderr}`);
const os = openQemuBoardOs(qemuOsDir(ROOT));

const work = await tempDir('deskbox-e2e-qemu-board-');
const state = join(work.path, 'desk');
const image = join(work.path, 'board-armv7.dbi');
await deskbox(['keys', 'init', '--state', state]);
await deskbox(['image', 'build', 'board', '--arch', 'armv7', '--type', 'qemu-virt', '--state', state, '-o', image]);
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
test.after(async () => {
  await broker.close();
  await work.remove();
});

test('a QEMU board boots U-Boot, the armmp kernel and its slot a, comes online, says armv7l, and leaves nothing behind when powered off', async () => {
  const dir = join(work.path, BOARD);
  await mkdir(dir);
  const t0 = performance.now();
  const disk = await prepareQemuBoardDisk(dir, os, join(ROOT, 'dist', 'board-boot.mjs'), {
    board: BOARD, desk: DESK, brokerUrl: BOARD_BROKER_URL, password: PASSWORD, trust: join(state, 'keys', 'desk.pub'), image,
  });
  const diskMs = performance.now() - t0;

  const watcher = await mqtt.connectAsync(brokerUrl, { username: 'host', password: PASSWORD, protocolVersion: 4 });
  let status: { state?: string; image?: { slot?: string } } = {};
  let onlineAt = 0;
  watcher.on('message', (_t, p) => {
    try { status = JSON.parse(p.toString()); } catch { return; }
    if (status.state === 'online' && !onlineAt) onlineAt = performance.now();
  });
  await watcher.subscribeAsync(`deskbox/${DESK}/boards/${BOARD}/status`, { qos: 1 });

  const board = await startQemuMachine({ dir, disk, brokerPort: broker.tcpPort });
  started.push(board.pid);
  const phases = watchConsolePhases();
  const link = await serialportBinding().open(board.pty, { baudRate: 115200 });
  link.onData((c) => phases.feed(c));
  try {
    const powerOn = performance.now();
    await board.reset();
    await waitFor(() => onlineAt, { timeoutMs: ONLINE_WITHIN_MS, pollMs: 500, what: () => `${BOARD} online; console:\n${phases.text().slice(-3000)}` });
    await waitFor(() => phases.seen().agent, { timeoutMs: 30_000, what: 'the agent\'s banner on the console' });
    const seen = phases.seen();
    const since = (t: number | undefined) => (t === undefined ? '-' : `${((t - powerOn) / 1000).toFixed(1)} s`);
    console.log(`  qemu board: disk built in ${Math.round(diskMs)} ms; from power-on: ${CONSOLE_PHASES.map((p) => `${p.phase} ${since(seen[p.phase])}`).join(', ')}, online ${since(onlineAt)}`);
    for (const p of CONSOLE_PHASES) assert.ok(seen[p.phase] !== undefined, `${p.phase} on the console`);
    assert.is(status.image?.slot, 'a');

    const exec = await deskbox(['exec', '--broker', brokerUrl, '--desk', DESK, '--user', 'host', '--password-file', hostPasswordFile, '--json', BOARD, '--', 'uname', '-m'], 120_000);
    assert.match(exec.stdout, /armv7l/);
  } finally {
    await link.close();
    await watcher.endAsync();
    await board.close();
  }
  assert.not.ok(isAlive(board.pid), 'qemu is gone');
  // QEMU's forwarder (one socat per broker connection) ends with its connection.
  await waitFor(async () => (await processesMentioning(`TCP:127.0.0.1:${broker.tcpPort}`)).length === 0, { timeoutMs: 10_000, what: 'no socat forwarder left' });
  assert.equal((await readdir(dir)).filter((f) => f !== 'qemu-monitor.sock'), [DISK_FILE], 'only the disk in the board folder');
  assert.match(await readFile(os.versionsFile, 'utf8'), /^kernel \d+\.\d+\.\d+-\d+-armmp$/m);
});

test.run();
