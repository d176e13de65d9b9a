/**
 * The `console` self-check: the board's serial line is still there and takes a line. A person
 * watching the console sees it (`deskbox: self-check ...`); the desk's recovery reflashes over
 * this line, so a console that hung up is worth knowing before it is needed. While a flash owns
 * the line the check passes without writing: the line is evidently working.
 */
import type { Clock } from '../../platform/clock.ts';
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { HealthCheck } from '../ops/health-check.ts';

export interface ConsoleState {
  link: SerialLink;
  /** Why the device went away, if it did. */
  gone: string | undefined;
  busy: boolean;
}

export function consoleCheck(state: () => ConsoleState, clock: Clock): HealthCheck {
  return {
    name: 'console',
    async run() {
      const { link, gone, busy } = state();
      if (gone) return { ok: false, detail: `${link.path} went away: ${gone}` };
      if (busy) return { ok: true, detail: `${link.path} is busy with a flash` };
      await link.write(`deskbox: self-check at ${new Date(clock.now()).toISOString()}\r\n`);
      return { ok: true, detail: `${link.path} takes lines` };
    },
  };
}
