/**
 * Host side of the agent protocol (docs/serial-protocol.md): sends a .dbi image to the agent
 * listening on a board's console. HELLO until the agent answers, the head through the window,
 * the PLAN says which payload blocks the board lacks, those go deflated where that helps,
 * DONE, and RESULT says what the board will boot. Every wait is bounded, so a dead port, a
 * silent board or a pulled cable ends in a FlashError with a code, never a hang.
 */
import { randomInt } from 'node:crypto';
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { openSourceImage } from './source-image.ts';
import { HostSession } from './host-session.ts';

export { FlashError, type FlashErrorCode } from './errors.ts';

export interface FlashProgress {
  phase: 'hello' | 'head' | 'blocks' | 'commit';
  imageBytes: number;
  /** Head acknowledged, and blocks sent, skipped as empty, or already on the board. */
  imageBytesDone: number;
  wireBytes: number;
  retransmits: number;
}

export interface SendReport {
  /** What the board will boot. */
  result: { slot: string; version: string };
  imageBytes: number;
  /** Bytes the host wrote to the link, frames and retransmissions included. */
  wireBytes: number;
  blocks: { total: number; sent: number; empty: number; onBoard: number };
  retransmits: number;
  /** Encoded / raw bytes of the blocks sent (1 when nothing compressed or nothing sent). */
  compressedRatio: number;
  ms: number;
}

export interface FlashTimeouts {
  /** No answer to HELLO within this: no agent on that port (default 3000). */
  helloMs?: number;
  /** HELLO is repeated this often until answered (default 250). */
  helloRetryMs?: number;
  /** Nothing at all from the board for this long mid-session (default 10000). */
  silenceMs?: number;
  /** The board answers but nothing moves (checking the head, committing, storage stalled) (default 120000). */
  workMs?: number;
  /** Transmissions of one frame before giving up (default 10, at most 255). */
  maxAttempts?: number;
}

export interface SendOptions {
  link: Pick<SerialLink, 'write' | 'onData'>;
  imageFile: string;
  clock: Clock;
  /** Bytes per second of the line (baud / 10), a hint for the window, the timers and the chunk size. */
  lineRate?: number;
  signal?: AbortSignal;
  onProgress?(p: FlashProgress): void;
  logger?: Logger;
  timeouts?: FlashTimeouts;
  /** Names the port in errors and logs (its path); default "console". */
  portName?: string;
  /** deflate level for blocks, 0-9 (default 6). */
  compressionLevel?: number;
  /** Pins the session id (tests that must be byte-for-byte repeatable); random otherwise. */
  sessionId?: number;
}

export async function sendImage(opts: SendOptions): Promise<SendReport> {
  const source = await openSourceImage(opts.imageFile);
  const session = new HostSession(opts, source, opts.sessionId ?? randomInt(1, 0x10000));
  try {
    return await session.run();
  } finally {
    session.close();
    await source.close();
  }
}
