/** Per-guest happenings as `guests` events, in batches, so 256 guests booting are a few messages, not 256. */
import type { BoardEvent } from '../../broker/contract/payloads.ts';
import type { GuestEvent } from './supervisor.ts';

/** Keeps a guests event well under the 64 KiB payload limit. */
const GUEST_EVENTS_PER_MESSAGE = 250;

type GuestsEventBody = Omit<Extract<BoardEvent, { type: 'guests' }>, 'v' | 'board' | 'at'>;

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
