/**
 * Reads a serial console as text while a driver talks to whatever answers there: waits for a
 * prompt or a pattern with a deadline, and keeps every byte for the board's log, so a
 * failure can say what the board printed last.
 */
import type { SerialLink } from '../../board/hal/serial/binding.ts';
import type { Clock } from '../../board/runtime/clock.ts';

export class ConsoleTimeout extends Error {
  constructor(readonly waitedFor: string, readonly lastOutput: string) {
    super(`no ${waitedFor} on the console${lastOutput ? `; it last printed: ${JSON.stringify(lastOutput.slice(-160))}` : ' (it printed nothing)'}`);
    this.name = 'ConsoleTimeout';
  }
}

const KEEP = 64 * 1024;

export function watchConsole(link: SerialLink, clock: Clock, onOutput?: (chunk: Buffer) => void) {
  let text = '';
  let waiter: (() => void) | undefined;
  const off = link.onData((chunk) => {
    onOutput?.(chunk);
    text = (text + chunk.toString('latin1')).slice(-KEEP);
    waiter?.();
  });
  return {
    /** Forgets what was seen so far: the next wait only matches newer output. */
    clear() {
      text = '';
    },
    /** Resolves with the match once `pattern` appears, consuming the text up to its end. */
    waitFor(pattern: string | RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray> {
      const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(text);
          if (!m) return false;
          text = text.slice(m.index + m[0].length);
          clock.clearTimeout(timer);
          waiter = undefined;
          resolve(m);
          return true;
        };
        const timer = clock.setTimeout(() => {
          waiter = undefined;
          reject(new ConsoleTimeout(what, text.replace(/[^\x20-\x7e\n]/g, '')));
        }, timeoutMs);
        if (!check()) waiter = () => { check(); };
      });
    },
    close: off,
  };
}
