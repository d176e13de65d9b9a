/**
 * A U-Boot prompt and lrzsz's `sb -k` on a board's console port, for the benches that time
 * deskbox's U-Boot path against sb on the same line: a QEMU U-Boot's own pty (uboot-real.ts)
 * or a desk QEMU board's console through the link emulator (qemu-desk.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';

export const TRANSFER_TIMEOUT_MS = 600_000;

export class BenchError extends Error {
  constructor(detail: string) {
    super(`U-Boot bench: ${detail}`);
    this.name = 'BenchError';
  }
}

export function deadline<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
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
export async function atPrompt(port: string, command?: { line: string; answer: RegExp }): Promise<string> {
  const link = await serialportBinding().open(port, { baudRate: 115200 });
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

/**
 * One `sb -k` into `loady`, its stdin and stdout on the board's pty as a user would run it: ms
 * from `loady` to sb's exit, which follows U-Boot's ACK of the end of the batch; U-Boot prints
 * its prompt right after that ACK, and the check that follows reads it.
 */
export async function sbRun(port: string, holder: FileHandle, image: string): Promise<number> {
  await atPrompt(port);
  const tty = await open(port, constants.O_RDWR | constants.O_NOCTTY);
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
