/**
 * Offline queues bounded per session. aedes queues every QoS > 0 message for each persistent
 * session that subscribed, online or not, and never drops one: a board away for a day would come
 * back to a day of messages, and the store (and the drain at its reconnect) grows without limit.
 * Here the store keeps the newest `maxPerSession` messages of a session that is offline; older
 * ones are dropped, counted (`onDropped`, for $SYS) and logged: once when a session's queue
 * first overflows, and with the total when the session comes back.
 *
 * Online sessions are left alone: their queue is what is in flight, bounded by the client's pace
 * (and aedes' drainTimeout), and trimming it would pull rows from under a reconnect's drain,
 * which aedes answers by dropping the client. The trim is queued right behind the enqueue, in the
 * same store batch, so a client that reconnects reads its queue either before both or after both.
 */
import type { Logger } from '../platform/log.ts';

/** A persistence that can trim a queue (the SQLite one: persistence/sqlite.ts). */
interface TrimmableStore {
  trimOutgoing(clientId: string, keep: number): Promise<number>;
  outgoingEnqueue(sub: { clientId: string }, packet: unknown): Promise<void>;
  outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string }>, packet: unknown): Promise<void>;
}

export interface OfflineQueuesOptions {
  /** The aedes persistence to bound. */
  persistence: unknown;
  maxPerSession: number;
  logger: Logger;
  onDropped: (count: number) => void;
}

export interface OfflineQueues {
  /** What to give aedes as its persistence. */
  readonly persistence: unknown;
  /** False when the persistence cannot trim (aedes' in-memory one): queues are then unbounded. */
  readonly bounded: boolean;
  /** aedes' `client` event: the session is online from now on. */
  online(clientId: string): void;
  /** aedes' `clientDisconnect` event. */
  offline(clientId: string): void;
}

export class InvalidQueueBoundError extends Error {
  override readonly name = 'InvalidQueueBoundError';
  constructor(readonly value: number) {
    super(`maxPerSession must be a positive integer, not ${value}`);
  }
}

function canTrim(persistence: unknown): persistence is TrimmableStore {
  return typeof (persistence as Partial<TrimmableStore> | null)?.trimOutgoing === 'function';
}

export function boundOfflineQueues(opts: OfflineQueuesOptions): OfflineQueues {
  const { persistence, maxPerSession: max, logger, onDropped } = opts;
  if (!Number.isInteger(max) || max < 1) throw new InvalidQueueBoundError(max);
  const onlineIds = new Set<string>();
  /** Messages dropped per session since it went offline; only sessions that lost some. */
  const dropped = new Map<string, number>();
  const noteOnline = (clientId: string) => {
    onlineIds.add(clientId);
    const lost = dropped.get(clientId);
    dropped.delete(clientId);
    if (lost) logger.warn('session back: messages were dropped from its full offline queue', { clientId, dropped: lost, bound: max });
  };
  const noteOffline = (clientId: string) => void onlineIds.delete(clientId);
  if (!canTrim(persistence)) return { persistence, bounded: false, online: noteOnline, offline: noteOffline };

  const store = persistence;
  const trimOffline = (clientIds: readonly string[]): Promise<void>[] =>
    [...new Set(clientIds)].filter((id) => !onlineIds.has(id)).map((clientId) =>
      store.trimOutgoing(clientId, max).then(
        (count) => {
          if (count === 0) return;
          onDropped(count);
          if (!dropped.has(clientId)) logger.warn('offline queue full: dropping its oldest messages', { clientId, bound: max });
          dropped.set(clientId, (dropped.get(clientId) ?? 0) + count);
        },
        // The message itself is stored: a failed trim leaves the queue one longer, no more.
        (err: Error) => logger.error('offline queue not trimmed', { clientId, error: err.message }),
      ));

  // Every message is enqueued for the live host's session too: when all are online (the usual
  // case) the store's own promise is the answer, without trim bookkeeping per message.
  const allOnline = (subs: ReadonlyArray<{ clientId: string }>) => subs.every((s) => onlineIds.has(s.clientId));
  const bounded: Pick<TrimmableStore, 'outgoingEnqueue' | 'outgoingEnqueueCombi'> = {
    async outgoingEnqueue(sub, packet) {
      const stored = store.outgoingEnqueue(sub, packet);
      if (onlineIds.has(sub.clientId)) return stored;
      await Promise.all([stored, ...trimOffline([sub.clientId])]);
    },
    async outgoingEnqueueCombi(subs, packet) {
      const stored = store.outgoingEnqueueCombi(subs, packet);
      if (allOnline(subs)) return stored;
      await Promise.all([stored, ...trimOffline(subs.map((s) => s.clientId))]);
    },
  };
  // Everything else goes to the store itself, bound to it: its methods use private fields, which
  // a call through the proxy as `this` could not reach. Bound once each: aedes calls several of
  // them per message.
  const boundMethods = new Map<PropertyKey, { method: unknown; bound: unknown }>();
  const proxy = new Proxy(store, {
    get(target, prop) {
      if (prop === 'outgoingEnqueue' || prop === 'outgoingEnqueueCombi') return bounded[prop];
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let entry = boundMethods.get(prop);
      if (entry?.method !== value) boundMethods.set(prop, (entry = { method: value, bound: (value as (...args: unknown[]) => unknown).bind(target) }));
      return entry.bound;
    },
  });
  return { persistence: proxy, bounded: true, online: noteOnline, offline: noteOffline };
}
