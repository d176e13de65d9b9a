/**
 * What a board says about itself, as contract payloads: its retained status, a telemetry
 * sample, and guest happenings in batches. Pure builders over what the agent knows; the agent
 * publishes them.
 */
import { PAYLOAD_VERSION, type BoardEvent, type BootPhase, type OnlineStatus, type Telemetry } from '../broker/contract/payloads.ts';
import type { PowerReading } from '../platform/hal/power.ts';
import type { LoadFigures } from './telemetry/sampler.ts';
import type { GuestEvent } from './guests/supervisor.ts';
import type { BootInfo } from './flash/boot-info.ts';

/** Keeps a guests event well under the 64 KiB payload limit. */
const GUEST_EVENTS_PER_MESSAGE = 250;

export interface StatusFacts {
  board: string;
  version: string;
  bootedAt: number;
  now: number;
  keepaliveS: number;
  phases: readonly BootPhase[];
  tags: readonly string[];
  hardware?: OnlineStatus['hardware'];
  guestRuntime?: OnlineStatus['guestRuntime'];
  bootInfo?: BootInfo;
}

export function onlineStatus(f: StatusFacts): OnlineStatus {
  return {
    v: PAYLOAD_VERSION,
    state: 'online',
    board: f.board,
    version: f.version,
    bootedAt: f.bootedAt,
    uptimeS: Math.max(0, (f.now - f.bootedAt) / 1000),
    keepaliveS: f.keepaliveS,
    phases: [...f.phases],
    ...(f.tags.length ? { tags: [...f.tags] } : {}),
    ...(f.hardware ? { hardware: f.hardware } : {}),
    ...(f.guestRuntime ? { guestRuntime: f.guestRuntime } : {}),
    ...(f.bootInfo ? { image: { slot: f.bootInfo.slot, ...f.bootInfo.image } } : {}),
  };
}

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

type GuestsEventBody = Omit<Extract<BoardEvent, { type: 'guests' }>, 'v' | 'board' | 'at'>;

/** Per-guest happenings in batches, so 256 guests booting are a few messages, not 256. */
export function guestEventBatches(events: readonly GuestEvent[]): GuestsEventBody[] {
  const batches: GuestsEventBody[] = [];
  for (let i = 0; i < events.length; i += GUEST_EVENTS_PER_MESSAGE) {
    const chunk = events.slice(i, i + GUEST_EVENTS_PER_MESSAGE);
    batches.push({
      type: 'guests',
      booted: chunk.flatMap((e) => (e.type === 'booted' ? [{ id: e.id, bootMs: Math.round(e.bootMs * 10) / 10 }] : [])),
      exited: chunk.flatMap((e) => (e.type === 'exited' ? [{ id: e.id, restarts: e.restarts }] : [])),
      failed: chunk.flatMap((e) => (e.type === 'failed' ? [{ id: e.id, error: e.error.slice(0, 200) }] : [])),
    });
  }
  return batches;
}
