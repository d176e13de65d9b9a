/** What a console keeper promises its callers, and how it reports trouble (keeper.ts keeps it). */
import type { Clock } from '../../platform/clock.ts';
import type { SerialBinding } from '../../platform/hal/serial.ts';

export type ConsoleState = 'open' | 'gone' | 'missing';

export interface ConsoleEvent {
  /** open: the first open; gone: an open device went; back: it reopened; missing: not there at start. */
  kind: 'open' | 'gone' | 'back' | 'missing';
  /** Epoch ms. */
  at: number;
  reason?: string;
  /** back (and an open that ended a 'missing'): how long there was no device. */
  gapMs?: number;
  /** open and back: the device the stable path led to this time. */
  device?: string;
}

export interface Backoff {
  minMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: Backoff = { minMs: 200, maxMs: 5000, factor: 2 };

export interface ConsoleKeeperOptions {
  /** A stable path, e.g. /dev/serial/by-path/...: resolved again at each reopen. */
  path: string;
  baud: number;
  /** Names this console in errors and events (a board id). */
  label: string;
  binding?: SerialBinding;
  clock?: Clock;
  backoff?: Partial<Backoff>;
  /** Appended to: every byte read, and a line at each change. */
  logFile?: string;
  onEvent?: (e: ConsoleEvent) => void;
  /** Where `path` leads now (default: fs realpath); rejects if it leads nowhere. */
  resolve?: (path: string) => Promise<string>;
}

export interface ConsoleKeeper {
  readonly label: string;
  /** Every chunk read, from every device the path led to, in order. */
  onData(cb: (chunk: Buffer) => void): () => void;
  /** Rejects with a ConsoleKeeperError while there is no device (or if it goes mid-write). */
  write(data: Buffer | string): Promise<void>;
  state(): ConsoleState;
  /** Resolves once open; rejects with a ConsoleKeeperError after timeoutMs or on close(). */
  waitOpen(timeoutMs: number): Promise<void>;
  /** Stops retrying, closes the device and the log; idempotent. Rejects only if the log failed. */
  close(): Promise<void>;
}

export class ConsoleKeeperError extends Error {
  constructor(readonly label: string, readonly path: string, readonly state: ConsoleState | 'closed', detail: string, options?: ErrorOptions) {
    super(`console ${label} (${path}, ${state}): ${detail}`, options);
    this.name = 'ConsoleKeeperError';
  }
}

export function nextDelay(b: Backoff, previous: number | undefined): number {
  return previous === undefined ? b.minMs : Math.min(b.maxMs, previous * b.factor);
}
