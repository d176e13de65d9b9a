/** Counts what the broker does and publishes it under $SYS (layout: contract/stats.ts). */
import type { Aedes, Client } from 'aedes';
import type { Clock, TimerHandle } from '../platform/clock.ts';
import type { Logger } from '../platform/log.ts';
import { STATS_TOPICS, type StatsSnapshot } from './contract/stats.ts';

/** Counters the broker's hooks and events feed; each snapshot turns them into rates. */
export class BrokerStats {
  #received = 0;
  #sent = 0;
  #dropped = 0;
  readonly #subscriptions = new Map<Client, Set<string>>();
  readonly #startedAt: number;
  #last: { at: number; received: number; sent: number };

  constructor(private readonly clock: Clock) {
    this.#startedAt = clock.monotonic();
    this.#last = { at: this.#startedAt, received: 0, sent: 0 };
  }

  countReceived(): void {
    this.#received++;
  }

  countSent(): void {
    this.#sent++;
  }

  /** Messages dropped from full offline queues (offline-queues.ts). */
  countDropped(count: number): void {
    this.#dropped += count;
  }

  subscribed(client: Client, filter: string): void {
    const filters = this.#subscriptions.get(client) ?? new Set<string>();
    this.#subscriptions.set(client, filters.add(filter));
  }

  unsubscribed(client: Client, filters: readonly string[]): void {
    const own = this.#subscriptions.get(client);
    for (const filter of filters) own?.delete(filter);
  }

  snapshot(clients: number, retained: number | null): StatsSnapshot {
    const now = this.clock.monotonic();
    const seconds = Math.max(now - this.#last.at, 1) / 1000;
    const rate = (total: number, before: number) => Math.round(((total - before) / seconds) * 10) / 10;
    const snap: StatsSnapshot = {
      v: 1,
      at: this.clock.now(),
      uptimeS: Math.floor((now - this.#startedAt) / 1000),
      clients,
      subscriptions: this.#countSubscriptions(),
      retained,
      received: { total: this.#received, perSec: rate(this.#received, this.#last.received) },
      sent: { total: this.#sent, perSec: rate(this.#sent, this.#last.sent) },
      dropped: this.#dropped,
    };
    this.#last = { at: now, received: this.#received, sent: this.#sent };
    return snap;
  }

  #countSubscriptions(): number {
    let n = 0;
    for (const [client, filters] of this.#subscriptions) {
      // Closed clients are dropped here rather than on an event, so none can be missed.
      if (client.closed) this.#subscriptions.delete(client);
      else n += filters.size;
    }
    return n;
  }
}

/** Counts retained messages if the persistence can stream them (every aedes persistence can). */
export function retainedCounter(persistence: unknown): (() => Promise<number>) | undefined {
  const source = persistence as { createRetainedStream?: (pattern: string) => AsyncIterable<unknown> };
  if (typeof source?.createRetainedStream !== 'function') return undefined;
  return async () => {
    let n = 0;
    for await (const _ of source.createRetainedStream!('#')) n++;
    return n;
  };
}

export interface StatsPublisherOptions {
  broker: Aedes;
  stats: BrokerStats;
  countRetained?: () => Promise<number>;
  clock: Clock;
  intervalMs: number;
  logger: Logger;
  /** A cluster node's name (contract/stats.ts). */
  node?: string;
}

/** Publishes a snapshot every interval; the next is scheduled only once one is out. */
export function startStatsPublisher(opts: StatsPublisherOptions): { stop(): void } {
  const { broker, stats, clock, intervalMs, logger } = opts;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const publish = (topic: string, payload: string) =>
    broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false }, (err) => {
      if (err && !stopped) logger.warn('stats publish failed', { topic, error: err.message });
    });

  async function tick(): Promise<void> {
    const retained = opts.countRetained
      ? await opts.countRetained().catch((err: unknown) => {
          logger.warn('retained count failed', { error: String(err) });
          return null;
        })
      : null;
    if (stopped) return;
    const snap = { ...stats.snapshot(broker.connectedClients, retained), ...(opts.node !== undefined ? { node: opts.node } : {}) };
    publish(STATS_TOPICS.stats, JSON.stringify(snap));
    publish(STATS_TOPICS.uptime, String(snap.uptimeS));
    publish(STATS_TOPICS.clients, String(snap.clients));
    publish(STATS_TOPICS.subscriptions, String(snap.subscriptions));
    if (snap.retained !== null) publish(STATS_TOPICS.retained, String(snap.retained));
    publish(STATS_TOPICS.receivedPerSec, String(snap.received.perSec));
    publish(STATS_TOPICS.sentPerSec, String(snap.sent.perSec));
    publish(STATS_TOPICS.dropped, String(snap.dropped));
  }

  const schedule = () => {
    timer = clock.setTimeout(() => {
      void tick().finally(() => {
        if (!stopped) schedule();
      });
    }, intervalMs);
  };
  schedule();

  return {
    stop() {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
    },
  };
}
