/**
 * Reads a serial console as text while a driver talks to whatever answers there: waits for a
 * prompt or a pattern with a deadline, so a failure can say what the board printed last.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';

export class ConsoleTimeout extends Error {
  constructor(readonly waitedFor: string, readonly lastOutput: string) {
    super(`no ${waitedFor} on the console${lastOutput ? `; it last printed: ${JSON.stringify(lastOutput.slice(-160))}` : ' (it printed nothing)'}`);
    this.name = 'ConsoleTimeout';
  }
}

const KEEP = 64 * 1024;

export function watchConsole(link: SerialLink, clock: Clock) {
  let text = '';
  let waiter: (() => void) | undefined;
  const off = link.onData((chunk) => {
    text = (text + chunk.toString('latin1')).slice(-KEEP);
    waiter?.();
  });
  return {
    /** Forgets what was seen so far: the next wait only matches newer output. */
    clear() {
      text = '';
    },
    /**
     * Resolves with the match once `pattern` appears, consuming the text up to its end. Rejects
     * with `signal`'s reason as soon as it fires (the board crashed: no use waiting on).
     */
    waitFor(pattern: string | RegExp, what: string, timeoutMs: number, signal?: AbortSignal): Promise<RegExpExecArray> {
      const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
      return new Promise((resolve, reject) => {
        const finish = () => {
          clock.clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          waiter = undefined;
        };
        const check = () => {
          const m = re.exec(text);
          if (!m) return false;
          text = text.slice(m.index + m[0].length);
          finish();
          resolve(m);
          return true;
        };
        const onAbort = () => {
          finish();
          reject(signal!.reason);
        };
        const timer = clock.setTimeout(() => {
          finish();
          reject(new ConsoleTimeout(what, text.replace(/[^\x20-\x7e\n]/g, '')));
        }, timeoutMs);
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!check()) waiter = () => { check(); };
      });
    },
    close: off,
  };
}
