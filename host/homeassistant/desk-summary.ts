/**
 * Publishes the desk's summary (broker/contract/desk-summary.ts) for Home Assistant's desk
 * device: from the boards as the desk's metrics last heard them, retained, every `periodMs`
 * and once at start. Needs the host role.
 */
import type { MqttClient } from 'mqtt';
import { deskSummaryTopic, type DeskSummary } from '../../broker/contract/desk-summary.ts';
import type { Logger } from '../../platform/log.ts';
import type { BoardRow } from '../client/board-view.ts';

/** Pure: the desk's figures from its boards' rows. */
export function deskSummaryOf(rows: readonly BoardRow[], at: number): DeskSummary {
  const online = rows.filter((r) => r.state === 'online');
  const sum = (xs: readonly (number | undefined)[]) => xs.reduce<number>((t, x) => t + (x ?? 0), 0);
  return {
    v: 1, at: Math.round(at), boards: rows.length, online: online.length,
    powerW: Number(sum(online.map((r) => r.powerW)).toFixed(6)),
    energyJ: Number(sum(rows.map((r) => r.energyJ)).toFixed(3)),
    guestsRunning: sum(online.map((r) => r.guests?.running)),
  };
}

export function publishDeskSummary(opts: { client: MqttClient; desk: string; rows: () => readonly BoardRow[]; logger: Logger; periodMs?: number; now?: () => number }): { stop(): void } {
  const topic = deskSummaryTopic(opts.desk);
  const now = opts.now ?? Date.now;
  const tick = () => {
    if (!opts.client.connected) return;
    opts.client.publishAsync(topic, JSON.stringify(deskSummaryOf(opts.rows(), now())), { qos: 1, retain: true })
      .catch((err: Error) => opts.logger.warn('desk summary not published', { error: err.message }));
  };
  const timer = setInterval(tick, opts.periodMs ?? 10_000);
  tick();
  return { stop: () => clearInterval(timer) };
}
