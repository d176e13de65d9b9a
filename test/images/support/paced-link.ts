/**
 * An in-memory serial cable for protocol tests: two SerialLink ends whose bytes take their
 * time on the wire (bytesPerSecond, like baud / 10 for 8N1), arrive latencyMs after their last
 * byte, meet seeded noise (flipped bits, lost bytes) and can be unplugged or silenced. Driven
 * by any Clock: a SimClock for long transfers in no time, the system clock for real timing.
 * A write resolves once its bytes fit in the sender's transmit buffer, as a UART driver's
 * does; txBuffer Infinity makes writes return at once, like a pty into a link emulator.
 */
import { HalError } from '../../../platform/hal/errors.ts';
import type { SerialLink } from '../../../platform/hal/serial.ts';
import { DataFanout } from '../../../board/hal/serial/fanout.ts';
import type { Clock } from '../../../platform/clock.ts';
import { seededRandom } from '../../support/seeded-random.ts';

export interface LineSettings {
  /** Each way; Infinity for no pacing. */
  bytesPerSecond: number;
  latencyMs: number;
  /** Probability per byte of one flipped bit. */
  flipRate: number;
  /** Probability per byte of it being lost. */
  dropRate: number;
  /** Bytes a write may leave queued on the wire before it waits. */
  txBuffer: number;
}

export interface LaneStats { bytes: number; flipped: number; dropped: number; lost: number }

export type PacedEnd = SerialLink & { readonly stats: LaneStats };

export interface PacedLinkPair {
  host: PacedEnd;
  board: PacedEnd;
  set(changes: Partial<LineSettings>): void;
  /** The USB adapter pulled: writes at both ends reject, bytes in flight are lost. */
  unplug(): void;
  plug(): void;
  /** Bytes toward one end (or both) vanish while writes still succeed: a hung board, a cut wire. */
  silence(toward: 'host' | 'board' | 'both'): void;
}

export function pacedLinkPair(clock: Clock, initial: Partial<LineSettings> & { seed?: number } = {}): PacedLinkPair {
  let settings: LineSettings = { bytesPerSecond: Infinity, latencyMs: 0, flipRate: 0, dropRate: 0, txBuffer: 4096, ...initial };
  const random = seededRandom(initial.seed ?? 1);
  let plugged = true;
  /** Bumped by unplug: deliveries scheduled before it are dropped. */
  let epoch = 0;
  const muted = { host: false, board: false };

  const end = (path: string, self: 'host' | 'board', inbox: DataFanout, peerInbox: () => DataFanout): PacedEnd => {
    const stats: LaneStats = { bytes: 0, flipped: 0, dropped: 0, lost: 0 };
    let lineFreeAt = 0;
    const toward = self === 'host' ? 'board' : 'host';
    return {
      path,
      stats,
      async write(data) {
        if (!plugged) throw new HalError('serial', 'write', path, 'the device is gone (unplugged)');
        const bytes = Buffer.from(data);
        const { bytesPerSecond: rate, latencyMs, txBuffer } = settings;
        const now = clock.monotonic();
        const start = Math.max(now, lineFreeAt);
        lineFreeAt = start + (bytes.length * 1000) / rate;
        stats.bytes += bytes.length;
        const sent = epoch;
        const arriving = noise(bytes, stats);
        clock.setTimeout(() => {
          if (sent !== epoch || muted[toward]) return void (stats.lost += arriving.length);
          if (arriving.length) peerInbox().push(arriving);
        }, lineFreeAt + latencyMs - now);
        const waitMs = lineFreeAt - (txBuffer * 1000) / rate - now;
        if (waitMs > 0) await new Promise<void>((r) => clock.setTimeout(r, waitMs));
      },
      onData: (cb) => inbox.subscribe(cb),
      async close() { inbox.clear(); },
    };
  };

  const noise = (bytes: Buffer, stats: LaneStats): Buffer => {
    const { flipRate, dropRate } = settings;
    if (flipRate === 0 && dropRate === 0) return bytes;
    const out = Buffer.allocUnsafe(bytes.length);
    let n = 0;
    for (const b of bytes) {
      if (random() < dropRate) { stats.dropped++; continue; }
      if (random() < flipRate) { stats.flipped++; out[n++] = b ^ (1 << Math.floor(random() * 8)); } else out[n++] = b;
    }
    return out.subarray(0, n);
  };

  const hostInbox = new DataFanout();
  const boardInbox = new DataFanout();
  return {
    host: end('sim:host', 'host', hostInbox, () => boardInbox),
    board: end('sim:board', 'board', boardInbox, () => hostInbox),
    set(changes) { settings = { ...settings, ...changes }; },
    unplug() { plugged = false; epoch++; },
    plug() { plugged = true; },
    silence(toward) {
      if (toward !== 'board') muted.host = true;
      if (toward !== 'host') muted.board = true;
    },
  };
}
