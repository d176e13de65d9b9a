/** A telemetry sample as the contract has it: a pure builder over what the sampler knows. */
import { PAYLOAD_VERSION, type Telemetry } from '../../broker/contract/payloads.ts';
import type { PowerReading } from '../../platform/hal/power.ts';
import type { LoadFigures } from './sampler.ts';

export interface SampleFacts {
  board: string;
  now: number;
  seq: number;
  bootedAt: number;
  reading: PowerReading;
  energyJ: number;
  load: LoadFigures;
  guests: Telemetry['guests'];
}

/**
 * Rounded to what the figures can mean, so readers (Home Assistant, mosquitto_sub, the store)
 * get `1.017`, not `1.0170000000000001` or an integral's 15 digits: the sensor's own steps
 * (ina2xx hwmon reports whole uW, mV and mA), ms of uptime, mJ of energy, 0.01% of a CPU.
 */
const round = (x: number, digits: number) => Number(x.toFixed(digits));

export function telemetrySample(f: SampleFacts): Telemetry {
  return {
    v: PAYLOAD_VERSION,
    board: f.board,
    at: f.now,
    seq: f.seq,
    uptimeS: round((f.now - f.bootedAt) / 1000, 3),
    powerW: round(f.reading.watts, 6),
    volts: round(f.reading.volts, 3),
    amps: round(f.reading.amps, 3),
    energyJ: round(f.energyJ, 3),
    ...f.load,
    cpu: round(f.load.cpu, 4),
    guests: f.guests,
  };
}
