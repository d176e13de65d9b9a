import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';

/**
 * The received bytes of one link as a queue with deadlines on the injected clock, so protocol
 * code can ask for "the next byte within N ms" instead of juggling callbacks and timers.
 */
export class LinkReader {
  private held: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private readonly unsubscribe: () => void;

  /** Waits reject with `aborted()` once `signal` fires. */
  constructor(
    private readonly clock: Clock,
    link: SerialLink,
    private readonly aborted: () => Error,
    private readonly signal?: AbortSignal,
  ) {
    this.unsubscribe = link.onData((chunk) => {
      this.held = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
      this.wake?.();
    });
  }

  /** The next byte, or undefined if none came within `ms`. */
  async byte(ms: number): Promise<number | undefined> {
    if (!this.held.length && !(await this.arrival(ms))) return undefined;
    const b = this.held[0]!;
    this.held = this.held.subarray(1);
    return b;
  }

  /** `n` bytes, or undefined if the line fell silent for `gapMs` before they were all there. */
  async take(n: number, gapMs: number): Promise<Buffer | undefined> {
    while (this.held.length < n) if (!(await this.arrival(gapMs))) return undefined;
    const out = this.held.subarray(0, n);
    this.held = this.held.subarray(n);
    return out;
  }

  /** Drops what has arrived: stale answers must not be read as replies to what is sent next. */
  purge(): void {
    this.held = Buffer.alloc(0);
  }

  /** Drops bytes until the line has been quiet for `quietMs`: the rest of a garbled block. */
  async settle(quietMs: number): Promise<void> {
    // Bounded, so a line that never stops babbling still gets its answer.
    for (let i = 0; i < 20; i++) {
      this.purge();
      if (!(await this.arrival(quietMs))) return;
    }
    this.purge();
  }

  close(): void {
    this.unsubscribe();
  }

  /** True once more bytes arrived, false when `ms` passed first. */
  private arrival(ms: number): Promise<boolean> {
    if (this.signal?.aborted) return Promise.reject(this.aborted());
    if (ms <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      const finish = (outcome: boolean | Error) => {
        this.clock.clearTimeout(timer);
        this.signal?.removeEventListener('abort', onAbort);
        this.wake = undefined;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onAbort = () => finish(this.aborted());
      const timer = this.clock.setTimeout(() => finish(false), ms);
      this.signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = () => finish(true);
    });
  }
}
