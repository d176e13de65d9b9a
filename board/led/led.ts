/**
 * The status LED: a heartbeat blink while the agent is healthy, or held on/off on request, and
 * a fast blink for a while on `identify` (to find a board on the desk), after which it is back
 * in its mode. A new mode ends an identify blink at once.
 */
import type { Clock, TimerHandle } from '../../platform/clock.ts';
import type { GpioBinding, GpioLine, Level } from '../../platform/hal/gpio.ts';
import type { LedMode } from '../../broker/contract/commands/board.ts';

/** Half a period of the identify blink: about 3 blinks a second, unlike the heartbeat's one every 2 s. */
export const IDENTIFY_TOGGLE_MS = 150;

export interface Led {
  setMode(mode: LedMode): Promise<void>;
  /** Blinks fast for `seconds` from now (a second call restarts the count); resolves with the mode it goes back to. */
  identify(seconds: number): Promise<LedMode>;
  /** Called once a second by the scheduler. */
  tick(): Promise<void>;
  /** Ends an identify blink without touching the line (the agent stops). */
  cancel(): void;
}

export function createLed(gpio: GpioBinding, clock: Clock, onError: (err: Error) => void): Led {
  let line: Promise<GpioLine> | undefined;
  let mode: LedMode = 'off';
  let level: Level = 0;
  let identifying: { until: number; timer: TimerHandle } | undefined;
  // Writes go out one at a time, in the order they were asked for: a blink's write that was
  // under way when a new mode came must not land after the mode's.
  let writes: Promise<void> = Promise.resolve();
  const set = (next: Level): Promise<void> => {
    line ??= gpio.open('led', 'out', 0);
    level = next;
    const write = writes.then(async () => (await line!).write(next));
    writes = write.catch(() => undefined);
    return write;
  };
  const steady = () => set(mode === 'on' ? 1 : 0);
  const cancel = () => {
    if (identifying) clock.clearTimeout(identifying.timer);
    identifying = undefined;
  };
  const blink = () => {
    if (!identifying) return;
    if (clock.monotonic() >= identifying.until) {
      identifying = undefined;
      steady().catch(onError);
      return;
    }
    set(level ? 0 : 1).catch(onError);
    identifying.timer = clock.setTimeout(blink, IDENTIFY_TOGGLE_MS);
  };
  return {
    async setMode(next) {
      cancel();
      mode = next;
      await steady();
    },
    async identify(seconds) {
      const until = clock.monotonic() + seconds * 1000;
      if (identifying) {
        identifying.until = until;
      } else {
        identifying = { until, timer: clock.setTimeout(blink, IDENTIFY_TOGGLE_MS) };
        await set(level ? 0 : 1);
      }
      return mode;
    },
    async tick() {
      if (mode === 'heartbeat' && !identifying) await set(level ? 0 : 1);
    },
    cancel,
  };
}
