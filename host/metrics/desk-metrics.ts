/**
 * A desk's Prometheus metrics, read from the broker as a monitor would: retained board status
 * and telemetry (folded by the board view), the experiment topic and the `$SYS` statistics.
 * Each instance has its own registry, so one process can serve several desks.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import { Counter, Registry } from 'prom-client';
import { allBoardsFilter, parseBoardTopic } from '../../broker/contract/topics.ts';
import { STATS_TOPICS, type StatsSnapshot } from '../../broker/contract/stats.ts';
import { decodeExperimentProgress, experimentTopic, type ExperimentProgress } from '../../broker/contract/experiment.ts';
import { createBoardView } from '../client/board-view.ts';
import { boardMetrics } from './board-metrics.ts';
import { brokerMetrics, decodeStats } from './broker-metrics.ts';
import { experimentMetrics } from './experiment-metrics.ts';

export interface DeskMetricsOptions {
  /** A connected client with at least the monitor role; the caller keeps it. */
  client: MqttClient;
  desk: string;
  /** Boards the desk should have: shown `unknown` (up 0) until they speak. */
  boards?: string[];
}

export interface DeskMetrics {
  readonly contentType: string;
  /** The exposition text, built from what was heard up to now. */
  render(): Promise<string>;
  /** Stops listening; leaves the client connected. */
  close(): Promise<void>;
}

const CHANNELS = ['status', 'telemetry', 'experiment', 'stats'] as const;

export async function createDeskMetrics({ client, desk, boards = [] }: DeskMetricsOptions): Promise<DeskMetrics> {
  const registry = new Registry();
  const perBoard = boardMetrics(registry);
  const broker = brokerMetrics(registry);
  const experiment = experimentMetrics(registry);
  const malformed = new Counter({
    name: 'deskbox_telemetry_malformed_total',
    help: 'Messages from the desk the contract refused (invalid JSON or schema), by channel',
    labelNames: ['channel'] as const,
    registers: [registry],
  });
  for (const channel of CHANNELS) malformed.inc({ channel }, 0);

  const view = createBoardView(desk);
  const progressTopic = experimentTopic(desk);
  let stats: StatsSnapshot | undefined;
  let progress: ExperimentProgress | undefined;
  let progressLive = false;

  const onExperiment = (payload: Buffer, retained: boolean) => {
    // As in the board view: a retained copy can arrive after a newer live message.
    if (retained && progressLive) return;
    progressLive ||= !retained;
    if (payload.length === 0) {
      progress = undefined;
      return;
    }
    const d = decodeExperimentProgress(payload);
    if (d.ok) progress = d.value;
    else malformed.inc({ channel: 'experiment' });
  };
  const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket) => {
    if (topic === STATS_TOPICS.stats) {
      const d = decodeStats(payload);
      if (d.ok) stats = d.value;
      else malformed.inc({ channel: 'stats' });
    } else if (topic === progressTopic) {
      onExperiment(payload, packet.retain);
    } else {
      view.apply(topic, payload, packet.retain);
      // Counted here and dropped, so a board sending garbage for weeks costs no memory.
      for (const r of view.rejected.splice(0)) malformed.inc({ channel: parseBoardTopic(r.topic)?.channel ?? 'unknown' });
    }
  };

  const filters = [allBoardsFilter(desk, 'status'), allBoardsFilter(desk, 'telemetry'), progressTopic, STATS_TOPICS.stats];
  client.on('message', onMessage);
  await client.subscribeAsync(filters, { qos: 1 });

  return {
    contentType: registry.contentType,
    async render() {
      perBoard.update(view.rows(boards));
      broker.update(stats);
      experiment.update(progress, Date.now());
      return registry.metrics();
    },
    async close() {
      client.off('message', onMessage);
      if (client.connected) await client.unsubscribeAsync(filters);
    },
  };
}
