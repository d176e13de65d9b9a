/**
 * Flashing a simulated desk as a user does, through `deskbox flash` on the boards' console
 * ports (link emulator at 3 Mbaud): the agent protocol on all boards at once, U-Boot on one,
 * a wrong image refused, a second flash of a busy port refused, a noisy line and a cable
 * pulled mid-transfer survived, a port where nothing answers reported as such.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { appendFile, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openPtyPair } from '../../host/desk/pty-pair.ts';
import { DESKBOX_CLI, deskbox, processesMentioning, runDeskbox } from '../support/deskbox.ts';
import { Desk } from '../support/desk.ts';
import { tempDir, type TempDir } from '../support/temp-dir.ts';
import { waitFor } from '../support/wait.ts';

let desk: Desk;
let workDir: TempDir;
let state = '';
let work = '';

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-flash-');
  workDir = await tempDir('deskbox-e2e-flash-work-');
  [state, work] = [desk.state, workDir.path];
});

test.after(async () => {
  await desk.close();
  await workDir.remove();
});

type Result = { label: string; ok: boolean; method?: string; wireBytes: number; error?: { code: string; phase: string; message: string } };

/** `deskbox flash ... --json`, whatever its exit code. */
async function flash(...args: string[]): Promise<{ code: number; results: Result[]; raw: string }> {
  // stdout and stderr apart: a port target's "reset <port> now" goes to stderr beside the JSON.
  const r = await runDeskbox(['flash', '--state', state, '--json', ...args]);
  let results: Result[] = [];
  try {
    results = JSON.parse(r.stdout).results ?? [];
  } catch { /* no JSON: raw says why */ }
  return { code: r.code ?? -1, results, raw: r.stdout + r.stderr };
}

/** The emulated cable's counts of bytes towards the board: taken onto the wire, and lost to a pulled cable. */
async function toBoard(board: string): Promise<{ bytes: number; unplugged: number }> {
  return JSON.parse((await deskbox(['desk', 'link', board, '--state', state, '--json'])).stdout).stats.toBoard;
}

const image = async (name: string, ...args: string[]) => {
  await deskbox(['image', 'build', 'board', '--state', state, '--guest', join(state, 'images', 'busybox.dbi'), '-o', join(work, `${name}.dbi`), ...args]);
  return join(work, `${name}.dbi`);
};

test('deskbox flash on a desk: agent protocol, U-Boot, refusals, busy port, noise, unplug, silence', () => desk.withLogs(async () => {
  await desk.up({ boards: 3, baud: 3_000_000, latency: 1 });
  const agent = join(work, 'board.mjs');
  await copyFile('dist/board.mjs', agent);
  await appendFile(agent, '\n// another build\n');
  const v2 = await image('v2', '--agent', agent, '--agent-version', '0.2.0-e2e');

  const all = await flash('--boards', 'all', '--image', v2);
  assert.is(all.code, 0, all.raw);
  assert.equal(all.results.map((r) => [r.label, r.ok, r.method]), [['b01', true, 'agent'], ['b02', true, 'agent'], ['b03', true, 'agent']]);

  const v3 = await image('v3', '--version', '0.3.0-e2e');
  const uboot = await flash('--boards', 'b01', '--method', 'uboot', '--image', v3);
  assert.is(uboot.code, 0, uboot.raw);
  assert.is(uboot.results[0]!.method, 'uboot');

  const foreign = await image('bbb', '--type', 'beaglebone');
  const refused = await flash('--boards', 'b02', '--image', foreign);
  assert.is(refused.code, 1);
  assert.is(refused.results[0]!.error!.code, 'refused', refused.raw);
  assert.match(refused.results[0]!.error!.message, /board type "beaglebone", this board is "sim"/);

  const unsigned = await image('unsigned', '--unsigned');
  const noSignature = await flash('--boards', 'b02', '--image', unsigned);
  assert.is(noSignature.results[0]!.error!.code, 'refused', noSignature.raw);
  assert.match(noSignature.results[0]!.error!.message, /signature: the image is unsigned/);

  // `deskbox console`: the board's console answers a typed command; Ctrl-] leaves.
  const typed = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [DESKBOX_CLI, 'console', 'b02', '--state', state], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('commands:')) child.stdin.write(Buffer.from([0x1d]));
    });
    child.on('exit', () => resolve(out));
    child.stderr.once('data', () => child.stdin.write('help\r'));
  });
  assert.match(typed, /commands: status, version, help/);

  // A bigger transfer (a guest image of random bytes), long enough to disturb.
  const rootfs = join(work, 'rootfs');
  await mkdir(join(rootfs, 'data'), { recursive: true });
  await writeFile(join(rootfs, 'data', 'noise.bin'), randomBytes(1536 * 1024));
  await deskbox(['image', 'build', 'guest', '--state', state, '--rootfs', rootfs, '--name', 'noise', '--version', '1', '--arch', 'x86_64', '-o', join(work, 'noise.dbi')]);
  const big = await image('big', '--guest', join(work, 'noise.dbi'), '--version', '0.4.0-e2e');

  // The second flash starts once the first is writing to the port (it locks the port before).
  const b03Before = (await toBoard('b03')).bytes;
  const first = flash('--boards', 'b03', '--image', big);
  await waitFor(async () => (await toBoard('b03')).bytes > b03Before, { timeoutMs: 15_000, what: 'the first flash writing to b03' });
  const second = await flash('--boards', 'b03', '--image', big);
  assert.is(second.code, 1);
  assert.is(second.results[0]!.error!.code, 'busy', second.raw);
  assert.is((await first).code, 0, 'the first flash of the port carries on');

  await deskbox(['desk', 'link', 'b02', '--bit-error-rate', '0.0002', '--state', state]);
  const noisy = await flash('--boards', 'b02', '--image', big);
  await deskbox(['desk', 'link', 'b02', '--bit-error-rate', '0', '--state', state]);
  assert.is(noisy.code, 0, noisy.raw);

  // Pulled once a quarter of the noise is across, plugged back once the flash has lost bytes to it.
  const b01Before = await toBoard('b01');
  const pulled = flash('--boards', 'b01', '--image', big);
  await waitFor(async () => (await toBoard('b01')).bytes - b01Before.bytes >= 384 * 1024, { timeoutMs: 30_000, what: 'a quarter of the image on the wire to b01' });
  await deskbox(['desk', 'link', 'b01', '--unplug', '--state', state]);
  await waitFor(async () => (await toBoard('b01')).unplugged > b01Before.unplugged, { timeoutMs: 10_000, what: 'bytes of the flash lost to the pulled cable' });
  await deskbox(['desk', 'link', 'b01', '--plug', '--state', state]);
  const afterUnplug = await pulled;
  assert.is(afterUnplug.code, 0, afterUnplug.raw);

  // Nothing on the other end: no agent answers, no U-Boot countdown shows.
  const pair = await openPtyPair(work, 'silent');
  try {
    const silent = await flash('--port', pair.hostPath, '--image', v3, '--prompt-timeout', '2', '--retries', '0');
    assert.is(silent.code, 1);
    assert.is(silent.results[0]!.error!.code, 'no-prompt', silent.raw);
    assert.match(silent.results[0]!.error!.message, /autoboot countdown/);
    assert.match(silent.raw, new RegExp(`reset ${pair.hostPath} now`));
  } finally {
    await pair.close();
  }

  await desk.down();
  assert.equal(await processesMentioning(state), []);
}));

test.run();
