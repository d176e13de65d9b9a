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

export function telemetrySample(f: SampleFacts): Telemetry {
  return {
    v: PAYLOAD_VERSION,
    board: f.board,
    at: f.now,
    seq: f.seq,
    uptimeS: (f.now - f.bootedAt) / 1000,
    powerW: f.reading.watts,
    volts: f.reading.volts,
    amps: f.reading.amps,
    energyJ: f.energyJ,
    ...f.load,
    guests: f.guests,
  };
}
