/**
 * Who answers on a console: the agent (its `status` command answers with the board's status
 * JSON, which names the board: a swapped cable shows), U-Boot at its prompt, something else,
 * or nothing. A U-Boot counting down is left alone (a key would stop the boot): the probe
 * waits for the countdown to end before it says anything.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';

export type ConsoleAnswer =
  | { kind: 'agent'; board: string; version: string }
  | { kind: 'uboot' }
  /** Bytes came, but neither U-Boot nor the agent: a kernel booting, a login prompt. */
  | { kind: 'other'; lastLine: string }
  | { kind: 'none' };

export interface ProbeOptions {
  /** U-Boot's prompt at a line start (uboot-profile.ts promptPattern). */
  prompt: RegExp;
  /** What U-Boot prints while it counts down. */
  autoboot: string;
  timeoutMs: number;
  clock: Clock;
  /** Between `status` probes while nothing answers. */
  retryMs?: number;
}

const HELD = 16 * 1024;

export function probeConsole(link: SerialLink, o: ProbeOptions): Promise<ConsoleAnswer> {
  const retryMs = o.retryMs ?? 1500;
  let heard = '';
  /** What came since the latest probe: only an answer to it counts. */
  let answer: string | undefined;
  return new Promise((resolve) => {
    const timers = new Set<ReturnType<Clock['setTimeout']>>();
    const later = (fn: () => void, ms: number) => timers.add(o.clock.setTimeout(fn, ms));
    const finish = (answer: ConsoleAnswer) => {
      off();
      for (const t of timers) o.clock.clearTimeout(t);
      resolve(answer);
    };
    const off = link.onData((chunk) => {
      heard = (heard + chunk.toString('latin1')).slice(-HELD);
      if (answer === undefined) return;
      answer = (answer + chunk.toString('latin1')).slice(-HELD);
      const who = classify(answer, o.prompt);
      if (who) finish(who);
    });
    const countingDown = () => {
      const at = heard.lastIndexOf(o.autoboot);
      return at >= 0 && !/[\r\n]/.test(heard.slice(at));
    };
    const probe = () => {
      if (!countingDown()) {
        answer = '';
        link.write('status\r').catch(() => undefined);
      }
      later(probe, retryMs);
    };
    // A moment's listening first: a board mid-countdown says so before it is sent a key.
    later(probe, Math.min(300, o.timeoutMs / 4));
    later(() => {
      const last = heard.split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean).at(-1);
      finish(last ? { kind: 'other', lastLine: printable(last).slice(0, 120) } : { kind: 'none' });
    }, o.timeoutMs);
  });
}

/** The agent's status line, or U-Boot's prompt; undefined while neither came. */
function classify(answer: string, prompt: RegExp): ConsoleAnswer | undefined {
  for (const line of answer.split(/\r?\n/)) {
    if (!line.startsWith('{') || !line.includes('"board"')) continue;
    try {
      const status = JSON.parse(line) as { board?: unknown; version?: unknown };
      if (typeof status.board === 'string') return { kind: 'agent', board: status.board, version: String(status.version ?? '') };
    } catch {
      // A status line cut by noise: the next probe asks again.
    }
  }
  return prompt.test(answer) ? { kind: 'uboot' } : undefined;
}

const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '');
