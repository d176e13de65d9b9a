import { spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readProcStat } from '../../platform/proc-stat.ts';

export interface PtyPair {
  /** The desk's end (what a USB-serial adapter on the host would be). */
  hostPath: string;
  /** The board's end (its console UART). */
  boardPath: string;
  /** Kills socat and resolves once it has exited and both links are gone. */
  close(): Promise<void>;
  /** socat's pid: for tests that check nothing outlives the pair. */
  readonly pid: number;
}

/** socat prints this once both ptys exist and their links are in place. */
const READY = 'starting data transfer loop';

/**
 * A real pty pair joined by socat, so the serialport binding (and lrzsz, screen...) can be
 * exercised on real ttys. A pty does not enforce baud rate: any pacing is the caller's job.
 */
export async function openPtyPair(dir: string, name: string, opts: { timeoutMs?: number } = {}): Promise<PtyPair> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  // socat parses these paths as address options: ',' and '!' would split them.
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`pty pair: invalid name "${name}": use A-Z a-z 0-9 _ . -`);
  if (/[,!\0]/.test(dir)) throw new Error(`pty pair ${name}: directory "${dir}" contains a character socat cannot take (, ! or NUL)`);
  const hostPath = join(dir, `${name}.host`);
  const boardPath = join(dir, `${name}.board`);
  await mkdir(dir, { recursive: true });
  // socat silently replaces an existing link; refuse if another live socat made it. A link a
  // killed socat left may dangle, or lead to a pty number the kernel has since handed to
  // someone else: either may go.
  for (const p of [hostPath, boardPath]) {
    const owner = (await exists(p, stat)) ? await linkOwner(p) : undefined;
    if (owner !== undefined) throw new Error(`pty pair ${name}: ${p} is in use by another pair (socat pid ${owner})`);
  }

  const child = spawn('socat', ['-d', '-d',
    `pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${boardPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const done = (err?: Error) => { clearTimeout(timer); if (err) reject(err); else resolve(); };
    child.once('error', done);
    child.once('exit', (code, signal) => done(new Error(`socat exited early (${signal ?? `code ${code}`})`)));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      // Keep only the tail: socat keeps talking at -d -d for as long as it lives.
      stderr = (stderr + s).slice(-4000);
      if (stderr.includes(READY)) done();
    });
  });

  const stderrHandle = child.stderr as unknown as { ref?(): void; unref?(): void };
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    // Re-ref so the caller's process stays up until socat is really gone.
    child.ref();
    stderrHandle.ref?.();
    const running = child.pid !== undefined && child.exitCode === null && child.signalCode === null;
    if (running) {
      child.kill('SIGTERM');
      const gone = await Promise.race([exited.then(() => true), delay(2000).then(() => false)]);
      if (!gone) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    // SIGTERM lets socat unlink its links; after SIGKILL or a crash they would dangle.
    await Promise.all([rm(hostPath, { force: true }), rm(boardPath, { force: true })]);
    child.stderr.destroy();
  })());

  try {
    await ready;
    for (const p of [hostPath, boardPath]) {
      if (!(await exists(p, lstat))) throw new Error(`${p} missing after socat reported ready`);
    }
  } catch (e) {
    await close();
    throw new Error(`pty pair ${name}: ${(e as Error).message}${stderr ? `\nsocat said:\n${stderr.trim()}` : ''}`, { cause: e });
  }

  // An idle pair must not keep the caller's process alive; close() takes the reference back.
  child.unref();
  stderrHandle.unref?.();
  return { hostPath, boardPath, close, pid: child.pid! };
}

/** The pid of a live process whose command line made the link `path` (`link=<path>`). */
async function linkOwner(path: string): Promise<number | undefined> {
  const needle = `link=${path}\0`;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(needle)) continue;
    const state = readProcStat(Number(entry))?.state;
    if (state !== undefined && state !== 'Z') return Number(entry);
  }
  return undefined;
}

async function exists(p: string, how: typeof stat | typeof lstat): Promise<boolean> {
  return how(p).then(() => true, () => false);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
