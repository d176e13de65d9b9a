/** The desk broker's `$SYS` statistics (broker/contract/stats.ts) as Prometheus metrics. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StatsSnapshot } from '../../broker/contract/stats.ts';
import { show } from './show.ts';

export function brokerMetrics(registry: Registry) {
  const registers = [registry];
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
  const counter = (name: string, help: string) => new Counter({ name, help, registers });
  const clients = gauge('deskbox_broker_clients', 'Connected, authenticated MQTT clients of the desk broker');
  const subscriptions = gauge('deskbox_broker_subscriptions', 'Subscriptions of connected clients');
  const retained = gauge('deskbox_broker_retained_messages', 'Retained messages in the broker\'s store (absent if the store cannot count them)');
  const receivedRate = gauge('deskbox_broker_messages_received_per_second', 'PUBLISHes from clients per second, mean over the broker\'s last stats interval');
  const sentRate = gauge('deskbox_broker_messages_sent_per_second', 'PUBLISHes to clients per second (every subscriber counts), mean over the last interval');
  // The broker's own totals: they restart at 0 with the broker, which rate() takes as a counter reset.
  const received = counter('deskbox_broker_messages_received_total', 'PUBLISHes from clients since the broker started');
  const sent = counter('deskbox_broker_messages_sent_total', 'PUBLISHes to clients since the broker started');
  const dropped = counter('deskbox_broker_messages_dropped_total', 'Messages dropped from full offline queues (oldest first) since the broker started');
  // A start time rather than an uptime gauge, as process_start_time_seconds: time() - it is the uptime.
  const startTime = gauge('deskbox_broker_start_time_seconds', 'When the desk broker started (Unix time; a cluster: its longest-running node)');

  return {
    /** Shows the latest snapshot; before the first one (up to one stats interval) nothing. */
    update(snap: StatsSnapshot | undefined): void {
      show(clients, snap?.clients);
      show(subscriptions, snap?.subscriptions);
      show(retained, snap?.retained);
      show(receivedRate, snap?.received.perSec);
      show(sentRate, snap?.sent.perSec);
      show(received, snap?.received.total);
      show(sent, snap?.sent.total);
      show(dropped, snap?.dropped);
      show(startTime, snap ? Math.round(snap.at / 1000 - snap.uptimeS) : undefined);
    },
  };
}
