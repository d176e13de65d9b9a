/**
 * A relay board wired to a GPIO line of the desk computer. The line is opened as an output only
 * when first driven, at the level asked for, because opening an output sets its level: opening
 * it early would switch the board off (or on) before anyone asked.
 */
import type { GpioBinding, GpioLine, Level } from '../../platform/hal/gpio.ts';
import type { Clock } from '../../platform/clock.ts';
import { offWaitOn, PowerError, sleepOn, type OutletState, type PowerOutlet } from './outlet.ts';
import type { SpecOf } from '../locations/outlet-spec.ts';

/** The name the relay's line has in its binding (onoffGpio({ [name]: line }) in production). */
export const relayLineName = (line: number) => `gpio${line}`;

export function gpioRelayOutlet(spec: SpecOf<'gpio'>, deps: { gpio: GpioBinding; clock: Clock }): PowerOutlet {
  const name = relayLineName(spec.line);
  const description = `gpio relay ${spec.line}${spec.activeLow ? ' (active low)' : ''} on ${deps.gpio.description}`;
  const levelFor = (on: boolean): Level => (on !== spec.activeLow ? 1 : 0);
  let held: GpioLine | undefined;

  const failed = (op: string) => (e: unknown) => { throw new PowerError('failed', description, `${op}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }); };

  const drive = async (on: boolean) => {
    if (held) return held.write(levelFor(on)).catch(failed(on ? 'on' : 'off'));
    held = await deps.gpio.open(name, 'out', levelFor(on)).catch(failed('open'));
  };

  const outlet: PowerOutlet = {
    description,
    on: () => drive(true),
    off: () => drive(false),
    cycle: () => offWaitOn(outlet, spec.offMs, sleepOn(deps.clock)),
    async state(): Promise<OutletState> {
      if (held) return (await held.read().catch(failed('read'))) === levelFor(true) ? 'on' : 'off';
      // Not driven by this process: sysfs can only read the line by making it an input, which
      // would release a relay another run left on. Better unknown than a board switched off.
      return 'unknown';
    },
    async close() {
      const line = held;
      held = undefined;
      await line?.close();
    },
  };
  return outlet;
}
