/**
 * From validated payloads to the rows the telemetry file keeps. Pure: the store decides when
 * the rows are written, this decides what they are.
 */
import type { BoardEvent, Status, Telemetry } from '../../broker/contract/payloads.ts';
import { TelemetryStoreError } from './schema.ts';

export type TelemetryParams = [
  board: string, at: number, receivedAt: number, seq: number, uptimeS: number, powerW: number,
  volts: number, amps: number, energyJ: number, cpu: number, memBytes: number,
  guestsRunning: number, guestsReady: number | null, guestsFailed: number,
];

/** Rows waiting for the next commit, per table, in the order they were received. */
export interface PendingRows {
  telemetry: TelemetryParams[];
  bootPhases: [board: string, phase: string, at: number, receivedAt: number][];
  guestBoots: [board: string, guest: string, bootMs: number, at: number, receivedAt: number][];
  guestFailures: [board: string, guest: string, error: string, at: number][];
  statuses: [board: string, state: string, at: number | null, receivedAt: number, body: string][];
  events: [board: string, type: string, at: number, receivedAt: number, body: string][];
  marks: [name: string, at: number, detail: string | null][];
  /** `null` deletes the key. */
  meta: [key: string, value: string | null][];
}

export function emptyPending(): PendingRows {
  return { telemetry: [], bootPhases: [], guestBoots: [], guestFailures: [], statuses: [], events: [], marks: [], meta: [] };
}

export function pendingCount(p: PendingRows): number {
  return p.telemetry.length + p.bootPhases.length + p.guestBoots.length + p.guestFailures.length
    + p.statuses.length + p.events.length + p.marks.length + p.meta.length;
}

export function telemetryParams(t: Telemetry, receivedAt: number): TelemetryParams {
  const g = t.guests;
  return [
    t.board, t.at, receivedAt, t.seq, t.uptimeS, t.powerW, t.volts, t.amps, t.energyJ, t.cpu, t.memBytes,
    g.running, g.ready ?? null, g.failed,
  ];
}

/** `body` is the payload as received, so the file keeps fields this version does not know. */
export function addStatus(p: PendingRows, s: Status, body: string, receivedAt: number): void {
  if (s.state === 'online') {
    p.statuses.push([s.board, s.state, s.bootedAt + Math.round(s.uptimeS * 1000), receivedAt, body]);
    for (const { phase, at } of s.phases) p.bootPhases.push([s.board, phase, at, receivedAt]);
  } else {
    p.statuses.push([s.board, s.state, s.at ?? null, receivedAt, body]);
  }
}

export function addEvent(p: PendingRows, e: BoardEvent, body: string, receivedAt: number): void {
  p.events.push([e.board, e.type, e.at, receivedAt, body]);
  if (e.type === 'boot-phase') {
    p.bootPhases.push([e.board, e.phase, e.at, receivedAt]);
  } else if (e.type === 'guests') {
    for (const { id, bootMs } of e.booted) p.guestBoots.push([e.board, id, bootMs, e.at, receivedAt]);
    for (const { id, error } of e.failed) p.guestFailures.push([e.board, id, error, e.at]);
  }
}

/** JSON text of a value for a TEXT column; undefined for `undefined` (stored as NULL). */
export function toJson(value: unknown, context: Record<string, string>): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (cause) {
    throw new TelemetryStoreError('value is not JSON-serialisable', context, { cause });
  }
}
