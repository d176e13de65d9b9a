/**
 * Turns sensor readings into the board's telemetry: power is sampled often and integrated
 * into energy; the published sample carries the latest reading, the energy so far and the
 * process load since the previous publish.
 */
import type { PowerReading, PowerSensor } from '../../platform/hal/power.ts';
import { EnergyMeter } from './energy.ts';
import type { Clock } from '../../platform/clock.ts';

export interface LoadFigures {
  cpu: number;
  memBytes: number;
}

export interface TelemetrySampler {
  /** Reads the sensor once and folds the reading into the energy counter. */
  sample(): Promise<PowerReading>;
  readonly last: PowerReading | undefined;
  readonly energyJ: number;
  /** CPU share of this process since the previous call, and its resident memory. */
  load(): LoadFigures;
}

export function createTelemetrySampler(sensor: PowerSensor, clock: Clock): TelemetrySampler {
  const meter = new EnergyMeter();
  let last: PowerReading | undefined;
  let cpuMark = process.cpuUsage();
  let wallMark = clock.monotonic();
  return {
    async sample() {
      const reading = await sensor.read();
      meter.add(reading.watts, clock.monotonic());
      last = reading;
      return reading;
    },
    get last() {
      return last;
    },
    get energyJ() {
      return meter.joules;
    },
    load() {
      const cpu = process.cpuUsage(cpuMark);
      const now = clock.monotonic();
      const wallUs = Math.max(1, (now - wallMark) * 1000);
      cpuMark = process.cpuUsage();
      wallMark = now;
      return { cpu: (cpu.user + cpu.system) / wallUs, memBytes: process.memoryUsage.rss() };
    },
  };
}
