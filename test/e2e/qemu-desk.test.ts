/**
 * A QEMU board on a desk (docs/qemu-board.md): `desk up --qemu-boards 1` boots q01 (U-Boot,
 * Debian's armmp kernel, the boot program, the agent on mqtts through QEMU's forward) beside a
 * simulated board; it answers `exec` as armv7l; `flash --method uboot` sends a new image
 * through the real U-Boot into the inbox and it comes back with that version; the agent
 * protocol flashes another over the same console; a corrupted active slot falls back to the
 * other at the next power cycle; `desk down` leaves nothing running.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { Desk } from '../support/desk.ts';
import { deskbox, processesMentioning } from '../support/deskbox.ts';
import { runProgram } from '../support/run-program.ts';
import { waitFor } from '../support/wait.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
/** ~40 s on an idle 2-core machine; TCG slows a lot under load. */
const ONLINE_WITHIN_MS = 300_000;
/** A ~1 MB image: ~100 s through U-Boot's YMODEM, then the inbox's check and a boot. */
const FLASH_WITHIN_MS = 600_000;
const BOARD = 'q01';

interface Status { state?: string; version?: string; phases?: { phase: string; at: number }[]; image?: { slot?: string; version?: string } }

// Built once and cached (~1 min the first time): a no-op when .cache/qemu-armhf is current.
const built = await runProgram(join(ROOT, 'scripts', 'build-qemu-board-os.sh'), [], { timeoutMs: 600_000 });
if (built.code !== 0) throw new Error(`scripts/build-qemu-board-os.sh: ${built.stderr}`);

const desk = await Desk.create('deskbox-e2e-qemu-desk-');
let watcher: mqtt.MqttClient | undefined;
let status: Status = {};
let tlsPort = '';

test.after(async () => {
  await watcher?.endAsync();
  await desk.close();
});

/** A board image for q01, signed with the desk's key (desk up made it). */
async function qemuImage(version: string): Promise<string> {
  const file = join(desk.state, `board-${version}.dbi`);
  await deskbox(['image', 'build', 'board', '--arch', 'armv7', '--type', 'qemu-virt', '--version', version, '--state', desk.state, '-o', file]);
  return file;
}

const onlineWith = (what: (s: Status) => boolean, label: string) =>
  waitFor(() => status.state === 'online' && what(status) && performance.now(), { timeoutMs: ONLINE_WITHIN_MS, pollMs: 200, what: () => `${BOARD} ${label}; status ${JSON.stringify(status)}` });

const exec = (...cmd: string[]) => deskbox(['exec', '--state', desk.state, '--json', BOARD, '--', ...cmd], 120_000);

async function slotConfirmed(slot: 'a' | 'b'): Promise<void> {
  let last = '';
  await waitFor(async () => new RegExp(`\\\\"active\\\\":\\\\"${slot}\\\\"}`).test(last = (await exec('cat', '/var/lib/deskbox/flash/bootenv.json')).stdout),
    { timeoutMs: 120_000, pollMs: 1000, what: () => `slot ${slot} confirmed; bootenv.json: ${last}` });
}

/** What still runs that names `needle`, for a message that says what it is. */
const commandLines = async (needle: string) => Promise.all((await processesMentioning(needle)).map(async (pid) => `${pid}: ${(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ')}`));

test('desk up --qemu-boards 1: q01 boots to online on mqtts beside a simulated board, and says armv7l', () => desk.withLogs(async () => {
  const t0 = performance.now();
  // A faster line than the default (115200, 16 ms) keeps the two ~1 MB transfers short; the
  // default line is what `npm run bench -- qemu-desk` measures.
  const up = await desk.up({ boards: 1, baud: 921_600, latency: 1, args: ['--qemu-boards', '1'], timeoutMs: ONLINE_WITHIN_MS });
  console.log(`  qemu desk: up with ${up.online}/${up.boards} online in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.is(up.online, 2);
  tlsPort = new URL(up.broker.mqtts!).port;
  watcher = await mqtt.connectAsync(up.broker.url!, { username: up.monitor.user, password: up.monitor.password, protocolVersion: 4 });
  watcher.on('message', (_t, p) => { try { status = JSON.parse(p.toString()) as Status; } catch { /* an empty retained message clears it */ } });
  await watcher.subscribeAsync(`deskbox/${up.desk}/boards/${BOARD}/status`, { qos: 1 });
  await onlineWith((s) => s.image?.slot === 'a', 'online from slot a');
  const on = status.phases?.find((p) => p.phase === 'power-on')?.at;
  assert.ok(on, 'the board knows when it was switched on');
  console.log(`  qemu desk: q01's boot phases from power-on: ${status.phases!.map((p) => `${p.phase} ${((p.at - on) / 1000).toFixed(1)} s`).join(', ')}`);
  assert.equal(status.phases!.map((p) => p.phase).slice(0, 5), ['power-on', 'kernel', 'init', 'boot-program', 'agent-start']);
  assert.ok(status.phases!.every((p, i, all) => i === 0 || p.at >= all[i - 1]!.at), 'phases in order on one clock');
  assert.match((await exec('uname', '-m')).stdout, /armv7l/);
  // crun inside the board, on the armv7 busybox guest its desk image carries.
  const guests = await deskbox(['guests', 'start', '--state', desk.state, '--boards', BOARD, '--count', '4', '--json'], 180_000);
  assert.match(guests.stdout, /"ready": 4/);
  const deskStatus = (await deskbox(['desk', 'status', '--state', desk.state])).stdout;
  assert.match(deskStatus, new RegExp(`${BOARD}\\s+power on`));
}));

test('flash --method uboot --profile qemu-board: through the real U-Boot, back online with the new version', () => desk.withLogs(async () => {
  const image = await qemuImage('0.2.0-uboot');
  const t0 = performance.now();
  const out = await deskbox(['flash', '--state', desk.state, '--boards', BOARD, '--method', 'uboot', '--profile', 'qemu-board', '--image', image,
    '--health-timeout', String(ONLINE_WITHIN_MS / 1000), '--json'], FLASH_WITHIN_MS);
  const result = JSON.parse(out.stdout) as { ok: boolean; results: { imageBytes: number; uboot?: { transferMs: number } }[] };
  assert.ok(result.ok, out.stdout);
  console.log(`  qemu desk: U-Boot flash of ${result.results[0]!.imageBytes} bytes, back online in ${((performance.now() - t0) / 1000).toFixed(1)} s (transfer ${((result.results[0]!.uboot?.transferMs ?? 0) / 1000).toFixed(1)} s)`);
  await onlineWith((s) => s.image?.version === '0.2.0-uboot' && s.image.slot === 'b', 'online with 0.2.0-uboot from slot b');
  // Confirmed once the agent is ready, its console open: only then does it answer a flash there.
  await slotConfirmed('b');
}));

test('flash by the agent protocol over the same console: back online with that version', () => desk.withLogs(async () => {
  const image = await qemuImage('0.3.0-agent');
  const t0 = performance.now();
  const out = await deskbox(['flash', '--state', desk.state, '--boards', BOARD, '--method', 'agent', '--image', image,
    '--health-timeout', String(ONLINE_WITHIN_MS / 1000), '--json'], FLASH_WITHIN_MS);
  assert.ok((JSON.parse(out.stdout) as { ok: boolean }).ok, out.stdout);
  console.log(`  qemu desk: agent-protocol flash, back online in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await onlineWith((s) => s.image?.version === '0.3.0-agent' && s.image.slot === 'a', 'online with 0.3.0-agent from slot a');
}));

test('a corrupted active slot: the next boot falls back to the other slot', () => desk.withLogs(async () => {
  // The agent confirms its trial once online; only then is slot a the one a boot starts from.
  await slotConfirmed('a');
  await exec('sh', '-c', 'printf corrupted | dd of=/var/lib/deskbox/flash/slot-a.dbi bs=1 seek=65536 conv=notrunc && sync');
  await deskbox(['desk', 'power', BOARD, 'cycle', '--state', desk.state]);
  await onlineWith((s) => s.image?.slot === 'b' && s.image.version === '0.2.0-uboot', 'online from slot b after slot a was corrupted');
}));

test('desk down: QEMU and its forwarders are gone, nothing mentions the desk', async () => {
  await desk.down();
  assert.equal(await commandLines(desk.state), [], 'QEMU runs from the desk\'s folder: none left');
  // QEMU's forwarder (one socat per broker connection) ends with its connection.
  await waitFor(async () => (await processesMentioning(`TCP:127.0.0.1:${tlsPort}`)).length === 0, { timeoutMs: 10_000, what: 'no socat forwarder left' });
});

test.run();
