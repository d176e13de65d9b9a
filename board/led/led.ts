/**
 * The status LED: a heartbeat blink while the agent is healthy, or held on/off on request
 * (to find a board on the desk).
 */
import type { GpioBinding, GpioLine, Level } from '../../platform/hal/gpio.ts';
import type { LedMode } from '../../broker/contract/commands/board.ts';

export interface Led {
  setMode(mode: LedMode): Promise<void>;
  /** Called once a second by the scheduler. */
  tick(): Promise<void>;
}

export function createLed(gpio: GpioBinding): Led {
  let line: Promise<GpioLine> | undefined;
  let mode: LedMode = 'off';
  let level: Level = 0;
  const set = async (next: Level) => {
    line ??= gpio.open('led', 'out', 0);
    level = next;
    await (await line).write(next);
  };
  return {
    async setMode(next) {
      mode = next;
      await set(next === 'on' ? 1 : 0);
    },
    async tick() {
      if (mode === 'heartbeat') await set(level ? 0 : 1);
    },
  };
}
