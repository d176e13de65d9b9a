/**
 * Broker statistics in the `$SYS` convention (for docs/mqtt.md):
 *
 *   $SYS/deskbox/broker/stats                     JSON, all figures below in one message:
 *       {"v":1,"at":<ms epoch>,"uptimeS":<s>,"clients":<n>,"subscriptions":<n>,"retained":<n|null>,
 *        "received":{"total":<n>,"perSec":<x>},"sent":{"total":<n>,"perSec":<x>},"dropped":<n>}
 *   $SYS/deskbox/broker/uptime                    seconds since the broker started (integer)
 *   $SYS/deskbox/broker/clients/connected         connected, authenticated clients
 *   $SYS/deskbox/broker/subscriptions/count       subscriptions of connected clients
 *   $SYS/deskbox/broker/retained/count            retained messages (absent if the store cannot list them)
 *   $SYS/deskbox/broker/messages/received/persec  PUBLISHes from clients, mean over the last interval
 *   $SYS/deskbox/broker/messages/sent/persec      PUBLISHes to clients (every subscriber counts), same
 *   $SYS/deskbox/broker/messages/dropped          messages dropped from full offline queues since the
 *                                                 broker started (oldest first; docs/mqtt.md, durability)
 *
 * The single-value topics carry a plain decimal number, as mosquitto's `$SYS/broker/...` do,
 * so `mosquitto_sub -t '$SYS/deskbox/broker/#' -v` reads well. Everything is published every
 * interval (10 s by default), QoS 0, not retained: figures are never stale, and a new
 * subscriber waits at most one interval. Readable by the host and monitor roles only.
 *
 * In a broker cluster every node publishes its own figures on the same topics; the JSON then
 * carries `"node":"<name>"`, and readers add the nodes up (createStatsFold). The plain
 * single-value topics are each node's own, interleaved.
 */
import * as v from 'valibot';
import { SYS_PREFIX } from './topics.ts';
import { decodeJson } from './messages.ts';

const BROKER_SYS = `${SYS_PREFIX}/broker`;

export const STATS_TOPICS = {
  stats: `${BROKER_SYS}/stats`,
  uptime: `${BROKER_SYS}/uptime`,
  clients: `${BROKER_SYS}/clients/connected`,
  subscriptions: `${BROKER_SYS}/subscriptions/count`,
  retained: `${BROKER_SYS}/retained/count`,
  receivedPerSec: `${BROKER_SYS}/messages/received/persec`,
  sentPerSec: `${BROKER_SYS}/messages/sent/persec`,
  dropped: `${BROKER_SYS}/messages/dropped`,
} as const;

export interface StatsSnapshot {
  v: 1;
  at: number;
  uptimeS: number;
  clients: number;
  subscriptions: number;
  retained: number | null;
  received: { total: number; perSec: number };
  sent: { total: number; perSec: number };
  /** Messages dropped from full offline queues since the broker started. */
  dropped: number;
  /** A cluster node's name (`deskbox broker --cluster --node`); absent for a desk's one broker. */
  node?: string;
}

const amount = v.pipe(v.number(), v.finite(), v.minValue(0));
const flow = v.object({ total: amount, perSec: amount });
/** What readers accept on `stats` (the broker writes StatsSnapshot): the metrics and the dashboard. */
export const StatsSnapshotSchema = v.object({
  v: v.literal(1),
  at: amount,
  uptimeS: amount,
  clients: amount,
  subscriptions: amount,
  retained: v.nullable(amount),
  received: flow,
  sent: flow,
  // A broker from before offline queues were bounded reports none: it dropped none.
  dropped: v.optional(amount, 0),
  node: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
});

export const decodeStats = (payload: Uint8Array | string) => decodeJson(StatsSnapshotSchema, payload);

/** A node whose last snapshot is this much older than the newest is taken as gone. */
export const STATS_NODE_GONE_MS = 60_000;

/**
 * The desk's broker figures from every node's latest snapshot: flows, clients and
 * subscriptions added up; retained messages live in the one shared store, so the newest count;
 * uptime the longest. A node silent for STATS_NODE_GONE_MS (killed, or restarted under a new
 * name) drops out. A single broker's snapshot passes through unchanged.
 */
export function createStatsFold() {
  const latest = new Map<string, StatsSnapshot>();
  return {
    add(snap: StatsSnapshot): void {
      latest.set(snap.node ?? '', snap);
    },
    clear(): void {
      latest.clear();
    },
    current(): StatsSnapshot | undefined {
      const newest = Math.max(...[...latest.values()].map((s) => s.at));
      for (const [node, s] of latest) if (s.at < newest - STATS_NODE_GONE_MS) latest.delete(node);
      const all = [...latest.values()].sort((a, b) => a.at - b.at);
      if (all.length <= 1) return all[0];
      const sum = (pick: (s: StatsSnapshot) => number) => all.reduce((n, s) => n + pick(s), 0);
      const last = all.at(-1)!;
      return {
        v: 1, at: last.at, uptimeS: Math.max(...all.map((s) => s.uptimeS)),
        clients: sum((s) => s.clients), subscriptions: sum((s) => s.subscriptions), retained: last.retained,
        received: { total: sum((s) => s.received.total), perSec: sum((s) => s.received.perSec) },
        sent: { total: sum((s) => s.sent.total), perSec: sum((s) => s.sent.perSec) },
        dropped: sum((s) => s.dropped),
      };
    },
  };
}
