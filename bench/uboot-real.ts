/**
 * deskbox's U-Boot path against a real U-Boot: Debian's u-boot-qemu (2023.01) in
 * qemu-system-arm's `virt` machine, its console on a pty (host/flash/qemu-board.ts), beside
 * lrzsz's `sb -k` (YMODEM-1K) sending the same image to the same U-Boot's `loady` on the same
 * pty, alternating, in one run. Both are timed from `loady` typed to the end of the transfer
 * (deskbox: U-Boot's prompt after it; sb: its exit after U-Boot's last ACK, which the prompt
 * follows at once): goodput = image bytes / that time. deskbox runs `flashOne` as
 * `deskbox flash --port` does; its whole flash (prompt probe, loady, crc32, the profile's
 * write step, reset) is a row too. Each sb transfer is checked with U-Boot's crc32 after it.
 *
 * sb gets the pty as its stdin and stdout, as a user runs it, with no relay in between. A file
 * descriptor held on the pty throughout keeps QEMU from seeing the console closed between
 * runs (it would drop output until its 1 s reconnect timer fires).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../platform/clock.ts';
import { serialportBinding } from '../board/hal/serial/serialport.ts';
import { crc32 } from '../images/format/crc32.ts';
import { buildBoardImage } from '../images/build-board.ts';
import { flashOne } from '../host/flash/flash-one.ts';
import { BUILTIN_PROFILES } from '../host/flash/uboot-profile.ts';
import { startQemuBoard, type QemuBoard } from '../host/flash/qemu-board.ts';
import { median, printRows, spread } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const KB = 1024;
/** Payload of the image's agent: ~10 s a transfer at the rate QEMU's emulated UART takes. */
const AGENT_BYTES = 128 * KB;
const TRANSFER_TIMEOUT_MS = 120_000;
const profile = BUILTIN_PROFILES['qemu-arm']!;

class BenchError extends Error {
  constructor(detail: string) {
    super(`uboot-real: ${detail}`);
    this.name = 'BenchError';
  }
}

function deadline<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new BenchError(`${what()} within ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Resolves once `text()` matches `re`, checked whenever `onChange` says it grew. */
function until(re: RegExp, text: () => string, onChange: (cb: () => void) => () => void): Promise<void> {
  return new Promise((resolve) => {
    const off = onChange(() => { if (re.test(text())) { off(); resolve(); } });
    if (re.test(text())) { off(); resolve(); }
  });
}

/**
 * Brings U-Boot to its prompt (pressing Enter until it shows: after a reset its countdown runs),
 * then, if given, runs `command` there until its output matches `answer`; returns that output.
 */
async function atPrompt(board: QemuBoard, command?: { line: string; answer: RegExp }): Promise<string> {
  const link = await serialportBinding().open(board.pty, { baudRate: 115200 });
  let text = '';
  const listeners = new Set<() => void>();
  const off = link.onData((c) => { text += c.toString('latin1'); for (const l of listeners) l(); });
  const changes = (cb: () => void) => { listeners.add(cb); return () => listeners.delete(cb); };
  const keys = setInterval(() => { void link.write('\r').catch(() => undefined); }, 300);
  try {
    await deadline(until(/\n=> $/, () => text, changes), 30_000, () => `no U-Boot prompt: ${text.slice(-300)}`);
    clearInterval(keys);
    if (!command) return '';
    text = '';
    await link.write(`${command.line}\r`);
    // Matched by its answer, not the next prompt: an Enter pressed above may still bring one.
    await deadline(until(command.answer, () => text, changes), 30_000, () => `no answer to ${command.line}: ${text.slice(-300)}`);
    return text;
  } finally {
    clearInterval(keys);
    off();
    await link.close();
  }
}

/** One `flashOne` through U-Boot: ms from `loady` to the prompt after the transfer, and the whole flash. */
async function deskboxRun(board: QemuBoard, image: string): Promise<{ transferMs: number; flashMs: number }> {
  await atPrompt(board);
  const r = await deadline(flashOne({ label: 'qemu', port: board.pty }, {
    imageFile: image, method: 'uboot', profile, baud: 115200, clock: systemClock(), retries: 0,
    onResetNeeded: () => { void board.reset(); },
  }), TRANSFER_TIMEOUT_MS, () => 'no deskbox flash result');
  if (!r.ok) throw new BenchError(`deskbox flash failed: ${r.error!.code}: ${r.error!.message}`);
  return { transferMs: r.uboot!.transferMs, flashMs: r.ms };
}

/**
 * One `sb -k` into `loady`, its stdin and stdout on the board's pty as a user would run it: ms
 * from `loady` to sb's exit, which follows U-Boot's ACK of the end of the batch; U-Boot prints
 * its prompt right after that ACK, and the check that follows reads it.
 */
async function sbRun(board: QemuBoard, holder: FileHandle, image: string): Promise<number> {
  await atPrompt(board);
  const tty = await open(board.pty, constants.O_RDWR | constants.O_NOCTTY);
  let sb: ChildProcess;
  try {
    sb = spawn('sb', ['-q', '-k', image], { stdio: [tty.fd, tty.fd, 'pipe'] });
  } finally {
    // sb holds its own copies.
    await tty.close();
  }
  let stderr = '';
  sb.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-2000); });
  const exited = new Promise<number | null>((resolve, reject) => {
    sb.once('exit', (code) => resolve(code));
    sb.once('error', (e) => reject(new BenchError(`cannot run sb (apt install lrzsz): ${e.message}`)));
  });
  try {
    // Typed on the held descriptor: the board reads it whoever listens to its output.
    await holder.write('loady 0x40200000\r');
    const t0 = performance.now();
    const code = await deadline(exited, TRANSFER_TIMEOUT_MS, () => `sb did not finish: ${stderr}`);
    if (code !== 0) throw new BenchError(`sb exited with ${code}: ${stderr}`);
    return performance.now() - t0;
  } finally {
    // Over a relay sb has been seen waiting forever for a last ACK: it is ended by its pid.
    if (sb.exitCode === null && sb.signalCode === null) {
      sb.kill('SIGKILL');
      await exited.catch(() => undefined);
    }
  }
}

const work = await mkdtemp(join(tmpdir(), 'deskbox-bench-uboot-real-'));
let board: QemuBoard | undefined;
let holder: FileHandle | undefined;
try {
  await writeFile(join(work, 'agent.mjs'), randomBytes(AGENT_BYTES));
  const image = (await buildBoardImage({ out: join(work, 'board.dbi'), agent: join(work, 'agent.mjs'), agentVersion: '0.0.1', guests: [], type: 'sim', name: 'bench', version: '1', arch: 'x86_64' })).file;
  const bytes = (await readFile(image)).length;
  const ours = crc32(await readFile(image)).toString(16).padStart(8, '0');
  board = await startQemuBoard(work);
  holder = await open(board.pty, constants.O_RDWR | constants.O_NOCTTY);
  await board.reset();
  const deskbox: { transferMs: number; flashMs: number }[] = [];
  const sb: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    sb.push(await sbRun(board, holder, image));
    const check = await atPrompt(board, { line: `crc32 0x40200000 ${bytes.toString(16)}`, answer: /==> [0-9a-f]{8}\r?\n=> $/ });
    if (!check.includes(`==> ${ours}`)) throw new BenchError(`sb's transfer arrived damaged: U-Boot says ${check.trim()}, the image's CRC-32 is ${ours}`);
    deskbox.push(await deskboxRun(board, image));
  }
  const kbs = (ms: number) => bytes / KB / (ms / 1000);
  const sbRate = sb.map(kbs);
  const dbRate = deskbox.map((d) => kbs(d.transferMs));
  const flashS = deskbox.map((d) => d.flashMs / 1000);
  const ratio = median(dbRate) / median(sbRate);
  printRows(`U-Boot 2023.01 (qemu-system-arm virt, -m 256) loady, ${(bytes / KB).toFixed(0)} KB image, KB/s from loady to the end of the transfer, medians of ${RUNS} runs`, [
    { what: 'baseline: lrzsz sb -k (YMODEM-1K) -> loady', median: median(sbRate), unit: 'KB/s', range: spread(sbRate), note: `${(median(sb) / 1000).toFixed(2)} s a transfer` },
    { what: 'deskbox flash --method uboot, same image', median: median(dbRate), unit: 'KB/s', range: spread(dbRate), note: `${ratio.toFixed(2)}x sb; ${(median(deskbox.map((d) => d.transferMs)) / 1000).toFixed(2)} s a transfer` },
    { what: 'deskbox whole flash (probe, loady, crc32, write step, reset)', median: median(flashS), unit: 's', range: spread(flashS) },
  ]);
} finally {
  await holder?.close();
  await board?.close();
  await rm(work, { recursive: true, force: true });
}
