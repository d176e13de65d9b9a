/**
 * The baseline for moving files over a board's console: lrzsz's YMODEM-1K (`sb -k` on the host
 * end, `rb` on the board end) through the link emulator, as goodput (file bytes / elapsed).
 * Exported so a benchmark can print the deskbox protocol's figures beside it in the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLinkEmulator, type LinkSettings } from '../host/desk/link-emulator.ts';

export interface GoodputResult {
  settings: LinkSettings;
  fileBytes: number;
  /** Per run: file bytes / seconds from starting both ends to the receiver's exit. */
  bytesPerSecond: number[];
  /** Per run, as a share of the line rate (baud / 10 bytes a second), in %. */
  percentOfLine: number[];
}

export class LrzszError extends Error {
  constructor(detail: string, options?: ErrorOptions) {
    super(`lrzsz baseline: ${detail}`, options);
    this.name = 'LrzszError';
  }
}

/** Generous: the slowest case (256 KB at 3 Mbaud and 16 ms) takes ~10 s. */
const RUN_TIMEOUT_MS = 120_000;

export async function lrzszGoodput(settings: LinkSettings, fileBytes: number, runs: number): Promise<GoodputResult> {
  const bytesPerSecond: number[] = [];
  for (let i = 0; i < runs; i++) {
    const seconds = await transferOnce(settings, fileBytes);
    bytesPerSecond.push(fileBytes / seconds);
  }
  const lineRate = settings.baud / 10;
  return { settings, fileBytes, bytesPerSecond, percentOfLine: bytesPerSecond.map((b) => (100 * b) / lineRate) };
}

/** A fresh link per run: bytes a killed sender left in the pty buffers must not meet the next run. */
async function transferOnce(settings: LinkSettings, fileBytes: number): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'deskbox-lrzsz-'));
  const link = await openLinkEmulator(work, 'link', settings);
  const children: ChildProcess[] = [];
  try {
    const file = join(work, 'payload.bin');
    const recvDir = join(work, 'received');
    await mkdir(recvDir);
    const payload = randomBytes(fileBytes);
    await writeFile(file, payload);
    const started = performance.now();
    const receiver = await startOnTty('rb', ['-q'], link.boardPath, recvDir);
    children.push(receiver.child);
    const sender = await startOnTty('sb', ['-q', '-k', file], link.hostPath, work);
    children.push(sender.child);
    // sb can wait forever for the final ACK after rb has the whole file: rb's exit ends the run.
    const code = await withDeadline(receiver.exited, RUN_TIMEOUT_MS, () =>
      `rb did not finish within ${RUN_TIMEOUT_MS} ms (link ${JSON.stringify(link.stats())})\nrb: ${receiver.stderr()}\nsb: ${sender.stderr()}`);
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new LrzszError(`rb exited with ${code}: ${receiver.stderr()}\nsb: ${sender.stderr()}`);
    const received = await readFile(join(recvDir, 'payload.bin')).catch((e: Error) => {
      throw new LrzszError(`rb exited 0 but left no payload.bin: ${e.message}`, { cause: e });
    });
    if (!received.equals(payload)) throw new LrzszError(`received ${received.length} bytes that differ from the ${payload.length} sent`);
    return seconds;
  } finally {
    await Promise.all(children.map(stopChild));
    await link.close();
    await rm(work, { recursive: true, force: true });
  }
}

interface TtyChild {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
}

/** lrzsz talks on stdin/stdout: both are the tty, as in `sb file < /dev/ttyUSB0 > /dev/ttyUSB0`. */
async function startOnTty(cmd: string, args: string[], tty: string, cwd: string): Promise<TtyChild> {
  // O_NOCTTY: the tty must not become this process's controlling terminal.
  const fh = await open(tty, constants.O_RDWR | constants.O_NOCTTY);
  try {
    const child = spawn(cmd, args, { cwd, stdio: [fh.fd, fh.fd, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => { stderr = (stderr + s).slice(-2000); });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', (e) => reject(new LrzszError(`cannot run ${cmd} (apt install lrzsz): ${e.message}`, { cause: e })));
      child.once('exit', (code) => resolve(code));
    });
    exited.catch(() => undefined);
    return { child, exited, stderr: () => stderr.trim() };
  } finally {
    // The child holds its own copies of the descriptor.
    await fh.close();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const gone = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]);
  if (!gone) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function withDeadline<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new LrzszError(what())), ms); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
