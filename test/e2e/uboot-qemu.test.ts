/**
 * The U-Boot path against a real U-Boot: Debian's u-boot-qemu (2023.01) in qemu-system-arm's
 * `virt` machine, its console on a pty, as a board on a USB adapter would be. The test plays
 * the person at the desk: when deskbox asks for a reset, it resets the machine through QEMU's
 * monitor. A successful flash (U-Boot's CRC-32 of what it received matches), a U-Boot already
 * at its prompt, and the old wrong load address (0x82000000, no RAM there): a data abort that
 * must end the flash at once, through the CLI, which also asks for the reset and keeps the
 * port's console log.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../platform/clock.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { crc32 } from '../../images/format/crc32.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { flashOne, type FlashResult } from '../../host/flash/flash-one.ts';
import { BUILTIN_PROFILES } from '../../host/flash/uboot-profile.ts';
import { portConsoleLogPath } from '../../host/flash/console-log.ts';
import { startQemuBoard, type QemuBoard } from '../../host/flash/qemu-board.ts';
import { isAlive } from '../../host/locations/desk-file.ts';
import { tempDir, type TempDir } from '../support/temp-dir.ts';
import { DESKBOX_CLI } from '../support/deskbox.ts';

let workDir: TempDir;
let work = '';
let image = '';
/** Every process a test started, so none outlives this file should a test crash. */
const started: number[] = [];
process.once('exit', () => { for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL'); });

test.before(async () => {
  workDir = await tempDir('deskbox-e2e-uboot-');
  work = workDir.path;
  // ~100 KB of incompressible payload: at the ~12 KB/s QEMU's emulated UART takes, ~8 s a flash.
  await writeFile(join(work, 'agent.mjs'), randomBytes(100 * 1024));
  image = (await buildBoardImage({ out: join(work, 'board.dbi'), agent: join(work, 'agent.mjs'), agentVersion: '0.0.1-qemu', guests: [], type: 'sim', name: 'qemu-board', version: '1', arch: 'x86_64' })).file;
});

test.after(() => workDir.remove());

/** A fresh powered-off machine per test; gone afterwards, whatever happened. */
async function withQemu(body: (board: QemuBoard, dir: string) => Promise<void>): Promise<void> {
  const { path: dir } = await tempDir(join(work, 'qemu-'));
  const board = await startQemuBoard(dir);
  started.push(board.pid);
  try {
    await body(board, dir);
  } finally {
    await board.close();
    assert.not.ok(isAlive(board.pid), `qemu ${board.pid} outlived its test`);
  }
}

async function deadline<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what()} within ${ms} ms`)), ms); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const flashOptions = { imageFile: '', method: 'uboot' as const, profile: BUILTIN_PROFILES['qemu-arm']!, baud: 115200, clock: systemClock(), retries: 3 };
const printable = (s: string) => s.replace(/[^\x20-\x7e\n]/g, '');

test('qemu-arm: a flash through the real U-Boot after the reset it asked for; U-Boot\'s CRC-32 matches', () => withQemu(async (board) => {
  let printed = '';
  const resets: number[] = [];
  const result: FlashResult = await deadline(flashOne({ label: 'qemu', port: board.pty }, {
    ...flashOptions, imageFile: image,
    onResetNeeded: (_t, waitMs) => { resets.push(waitMs); void board.reset(); },
    onOutput: (_t, chunk) => { printed += chunk.toString('latin1'); },
  }), 90_000, () => `no flash result; console:\n${printable(printed).slice(-2000)}`);
  assert.ok(result.ok, `${JSON.stringify(result.error)}\n${printable(printed).slice(-2000)}`);
  assert.is(result.method, 'uboot');
  assert.is(result.attempts, 1);
  assert.is(result.uboot!.reached, 'countdown');
  assert.equal(resets, [30_000], 'asked for one reset, with the profile\'s countdown wait');
  const ours = crc32(await readFile(image)).toString(16).padStart(8, '0');
  assert.match(printed, new RegExp(`crc32 for 40200000 \\.\\.\\. [0-9a-f]{8} ==> ${ours}`));
  assert.match(printed, /## Ready for binary \(ymodem\) download to 0x40200000/);
  // The line carried the image in YMODEM framing: 1029-byte blocks (133 for a short tail),
  // block 0 and the end-of-batch block, the EOT, and the typed commands.
  let framed = 133 + 1 + 133;
  for (let left = result.imageBytes; left > 0; left -= left > 128 ? 1024 : 128) framed += left > 128 ? 1029 : 133;
  assert.ok(result.wireBytes >= framed && result.wireBytes < framed + 200, `wire ${result.wireBytes}, framing alone ${framed}`);
}));

test('qemu-arm: a U-Boot already sitting at its prompt is used as it is, no reset asked for', () => withQemu(async (board) => {
  // The person stops the countdown themselves, pressing a key until the prompt shows: QEMU
  // drops console output until it notices the pty is open (a 1 s timer), so no single line of
  // the boot can be waited for, and a key pressed during the boot stops the countdown as it starts.
  const link = await serialportBinding().open(board.pty, { baudRate: 115200 });
  const keys = setInterval(() => { void link.write(' ').catch(() => undefined); }, 200);
  try {
    let text = '';
    const prompt = new Promise<void>((resolve) => {
      const off = link.onData((c) => {
        text += c.toString('latin1');
        if (/\n=> *$/.test(text)) { off(); resolve(); }
      });
    });
    await board.reset();
    await deadline(prompt, 20_000, () => `no prompt: ${printable(text)}`);
  } finally {
    clearInterval(keys);
    await link.close();
  }
  let asked = 0;
  let printed = '';
  const result = await deadline(flashOne({ label: 'qemu', port: board.pty }, {
    ...flashOptions, imageFile: image, onResetNeeded: () => { asked++; },
    onOutput: (_t, chunk) => { printed += chunk.toString('latin1'); },
  }), 60_000, () => `no flash result; console:\n${printable(printed).slice(-2000)}`);
  assert.ok(result.ok, JSON.stringify(result.error));
  assert.is(asked, 0, 'no reset asked for');
  assert.is(result.uboot!.reached, 'prompt');
  assert.not.match(printed, /autoboot/, 'no countdown went by');
  assert.match(printed, /^[^]*?\n=> [^]*loady 0x40200000/);
}));

test('deskbox flash --port with the old load address: asks for the reset, fails at the data abort at once, keeps the console log', () => withQemu(async (board, dir) => {
  // RAM declared large enough to pass the profile check: the board itself must tell.
  const profile = join(dir, 'wrong.json');
  await writeFile(profile, JSON.stringify({ name: 'wrong', ram: { start: '0x80000000', size: '0x10000000' }, loadAddr: '0x82000000', write: ['crc32 ${loadaddr} ${filesize}'], writeOk: '==> ' }));
  const state = join(dir, 'state');
  const child = spawn(process.execPath, [DESKBOX_CLI, 'flash', '--state', state, '--port', board.pty, '--method', 'uboot', '--profile', profile, '--image', image, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child.pid!);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  try {
    const asked = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (stderr.includes(`reset ${board.pty} now`)) resolve();
    }));
    const t0 = performance.now();
    await deadline(asked, 15_000, () => `no "reset ${board.pty} now" on stderr: ${stderr}`);
    await board.reset();
    const code = await deadline(exited, 60_000, () => `deskbox flash did not finish: ${stderr}`);
    const seconds = (performance.now() - t0) / 1000;
    assert.is(code, 1, stdout + stderr);
    const r = JSON.parse(stdout).results[0] as FlashResult & { consoleLog: string };
    assert.is(r.error!.code, 'crashed', r.error!.message);
    assert.is(r.attempts, 1, 'a crash at this load address is not retried');
    assert.match(r.error!.message, /U-Boot crashed \("data abort"\) during "loady 0x82000000"/);
    assert.match(r.error!.message, /that load address is probably wrong/);
    assert.match(r.error!.message, /r0 : 82000000/);
    // The old driver typed block 1 into the rebooted shell for 4 x 30 s.
    assert.ok(seconds < 20, `failed after ${seconds.toFixed(1)} s`);
    assert.is(r.consoleLog, portConsoleLogPath(state, board.pty));
    const log = await readFile(r.consoleLog, 'latin1');
    assert.match(log, /Hit any key to stop autoboot/);
    assert.match(log, /data abort/);
    assert.ok((await stat(r.consoleLog)).size > 500);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  }
}));

test.run();
