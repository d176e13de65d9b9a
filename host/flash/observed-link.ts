/**
 * A serial link as a flash sees it, with two things counted on the way: every byte written
 * (what actually crossed the line: framing, retransmissions and typed commands included, not
 * just the image) and every byte the board printed, handed to `onOutput` once whoever listens.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';

export interface ObservedLink extends SerialLink {
  /** Bytes written so far. */
  readonly written: number;
}

export function observeLink(link: SerialLink, onOutput?: (chunk: Buffer) => void): ObservedLink {
  let written = 0;
  const listeners = new Set<(chunk: Buffer) => void>();
  let off: (() => void) | undefined;
  return {
    path: link.path,
    get written() { return written; },
    async write(data) {
      await link.write(data);
      written += Buffer.byteLength(data);
    },
    // One subscription below, held only while someone listens here: the link keeps bytes that
    // arrive with no listener for the next one, and the output must not be what takes them.
    onData(cb) {
      listeners.add(cb);
      off ??= link.onData((chunk) => {
        onOutput?.(chunk);
        for (const l of [...listeners]) l(chunk);
      });
      return () => {
        listeners.delete(cb);
        if (listeners.size === 0) {
          off?.();
          off = undefined;
        }
      };
    },
    close: () => link.close(),
  };
}
