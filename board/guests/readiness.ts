import { execFile } from 'node:child_process';
import { constants, open as openCb } from 'node:fs';
import { lstat, unlink } from 'node:fs/promises';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';

/**
 * The board's readiness channel: one FIFO that every guest writes `<id>\n` to once it has
 * booted. Writes shorter than PIPE_BUF are atomic, so a thousand guests writing at once
 * never interleave their lines; anything else that arrives (a guest writing junk, a
 * half-written line) is noise the channel logs and drops without losing the lines around it.
 */

export interface ReadinessChannel {
  path: string;
  close(): Promise<void>;
}

/** Longer lines are not ids: a guest printing its logs into the FIFO by mistake. */
const MAX_LINE = 128;
/** A superset of what guestSpecs produces, so a valid id is never dropped here. */
const ID = /^[A-Za-z0-9_.-]+$/;
const NL = 0x0a;

export async function openReadinessChannel(
  path: string,
  onReady: (guestId: string, atMonotonicMs: number) => void,
  deps: { clock: Clock; logger: Logger },
): Promise<ReadinessChannel> {
  const { clock, logger } = deps;
  await ensureFifo(path, logger);
  // O_RDWR: the channel is itself a writer, so it never reads EOF when the last guest closes,
  // and a guest's open() never blocks waiting for a reader. O_NONBLOCK: libuv polls the fd.
  const fd = await promisify(openCb)(path, constants.O_RDWR | constants.O_NONBLOCK);
  const socket = new Socket({ fd, readable: true, writable: false });

  const line = (bytes: Buffer) => {
    const text = bytes.toString('latin1').replace(/\r$/, '');
    if (!ID.test(text)) {
      logger.warn('readiness: dropped a line that is not a guest id', { line: text.slice(0, 40) });
      return;
    }
    try {
      onReady(text, clock.monotonic());
    } catch (e) {
      logger.error('readiness: handler failed', { guest: text, error: (e as Error).message });
    }
  };

  socket.on('data', lineSplitter(MAX_LINE, line, (bytes) => logger.warn('readiness: dropped an overlong line', { bytes })));
  socket.on('error', (e) => logger.error('readiness: read failed', { path, error: e.message }));

  let closing: Promise<void> | undefined;
  return {
    path,
    close: () => (closing ??= (async () => {
      if (!socket.destroyed) {
        const closed = new Promise((resolve) => socket.once('close', resolve));
        socket.destroy();
        await closed;
      }
      await unlink(path).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
    })()),
  };
}

/**
 * Cuts a byte stream into lines of at most `maxLine` bytes (without the newline), keeping a
 * partial line until its end arrives. An overlong line is reported once, as soon as it is
 * known to be too long, and its remainder skipped, so a guest cannot make the board buffer
 * without bound.
 */
export function lineSplitter(maxLine: number, onLine: (line: Buffer) => void, onOverlong: (bytesSoFar: number) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let skipping = false;
  return (chunk) => {
    let data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL)) {
      if (skipping) skipping = false;
      else if (nl > maxLine) onOverlong(nl);
      else onLine(data.subarray(0, nl));
      data = data.subarray(nl + 1);
    }
    if (!skipping && data.length > maxLine) {
      onOverlong(data.length);
      skipping = true;
    }
    // Copy: a subarray would pin the whole chunk until the line completes.
    pending = skipping ? Buffer.alloc(0) : Buffer.from(data);
  };
}

/**
 * Reuses a FIFO left by an earlier agent: a guest that started before that agent died may be
 * blocked opening it, and completes its line once we open it. Any other file is replaced.
 */
async function ensureFifo(path: string, logger: Logger): Promise<void> {
  const st = await lstat(path).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return undefined; throw e; });
  if (st?.isFIFO()) return;
  if (st) {
    logger.warn('readiness: replacing a stale file', { path });
    await unlink(path);
  }
  // Only the board (and guests running as root) may write: a forged id would mark a guest ready.
  await promisify(execFile)('mkfifo', ['-m', '600', path]);
}
