import { HalError } from '../../../platform/hal/errors.ts';
import type { PowerReading, PowerSensor } from '../../../platform/hal/power.ts';

const IDLE: PowerReading = { watts: 1.0, volts: 5.0, amps: 0.2 };

/** In-memory sensor for unit tests of the telemetry path; `set` is the test's hand on the rail. */
export function simPowerSensor(initial: PowerReading = IDLE): PowerSensor & { set(r: PowerReading): void } {
  let current = { ...initial };
  let closed = false;
  return {
    description: 'simulated power sensor',
    set(r) {
      current = { ...r };
    },
    async read() {
      if (closed) throw new HalError('power', 'read', 'sim', 'sensor is closed');
      // A copy, so a caller mutating its reading cannot change what the next read returns.
      return { ...current };
    },
    async close() {
      closed = true;
    },
  };
}
