/**
 * No switch the desk can reach: a person flips it. The prompts go through `ask` (a line on the
 * terminal, resolved when they press Enter), and switching on is done only once the board's
 * console shows it booting, which is the one sign of power deskbox can see.
 */
import type { Clock } from '../../platform/clock.ts';
import { offWaitOn, PowerError, sleepOn, type PowerOutlet } from './outlet.ts';
import type { SpecOf } from '../locations/outlet-spec.ts';

export interface ManualDeps {
  /** Shows `message` and resolves when the person confirms. */
  ask(message: string): Promise<void>;
  /** Resolves when the console shows a boot; rejects after `timeoutMs` without one. */
  waitForBoot(timeoutMs: number): Promise<void>;
  clock: Clock;
  /** The board, as the person knows it ("b03"). */
  label: string;
}

export function manualOutlet(spec: SpecOf<'manual'>, deps: ManualDeps): PowerOutlet {
  const description = `manual ${deps.label}`;
  const outlet: PowerOutlet = {
    description,
    async on() {
      await deps.ask(`switch ${deps.label} on now, then press Enter`);
      try {
        await deps.waitForBoot(spec.bootTimeoutMs);
      } catch (e) {
        throw new PowerError('no-answer', description, `no boot on the console within ${spec.bootTimeoutMs} ms of switching on (is it plugged in and switched on?)`, { cause: e });
      }
    },
    off: () => deps.ask(`switch ${deps.label} off now, then press Enter`),
    cycle: () => offWaitOn(outlet, spec.offMs, sleepOn(deps.clock)),
    // Nothing reports a hand-flipped switch; the console alone cannot tell off from hung.
    state: async () => 'unknown',
    close: async () => undefined,
  };
  return outlet;
}
