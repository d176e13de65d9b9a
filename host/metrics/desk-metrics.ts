/**
 * A desk's Prometheus metrics, read from the broker as a monitor would: retained board status
 * and telemetry (folded by the board view), the experiment topic and the `$SYS` statistics.
 * Each instance has its own registry, so one process can serve several desks.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import { Counter, Registry } from 'prom-client';
import { allBoardsFilter } from '../../broker/contract/topics.ts';
import { createStatsFold, decodeStats, STATS_TOPICS } from '../../broker/contract/stats.ts';
import { decodeExperimentProgress, experimentTopic, type ExperimentProgress } from '../../broker/contract/experiment.ts';
import { createBoardView, type BoardRow } from '../client/board-view.ts';
import { REJECT_REASONS, type RejectReason } from '../client/board-fold.ts';
import { boardMetrics } from './board-metrics.ts';
import { brokerMetrics } from './broker-metrics.ts';
import { experimentMetrics } from './experiment-metrics.ts';
import { healthMetrics } from './health-metrics.ts';
import { BoardVerdictSchema, verdictFilter, type BoardVerdict } from '../../broker/contract/health.ts';
import { decodeJson } from '../../broker/contract/messages.ts';

export interface DeskMetricsOptions {
  /** A connected client with at least the monitor role; the caller keeps it. */
  client: MqttClient;
  desk: string;
  /** Boards the desk should have: shown `unknown` (up 0) until they speak. */
  boards?: string[];
}

export interface DeskMetrics {
  readonly contentType: string;
  /** The boards as last heard (the rows the per-board figures come from). */
  rows(): BoardRow[];
  /** The exposition text, built from what was heard up to now. */
  render(): Promise<string>;
  /** Stops listening; leaves the client connected. */
  close(): Promise<void>;
}

/** The reasons each channel can be refused for, all shown from the start (at 0). */
const REASONS: Record<'status' | 'telemetry' | 'experiment' | 'stats', readonly RejectReason[]> = {
  status: REJECT_REASONS,
  telemetry: REJECT_REASONS,
  experiment: ['not-json', 'schema'],
  stats: ['not-json', 'schema'],
};

export async function createDeskMetrics({ client, desk, boards = [] }: DeskMetricsOptions): Promise<DeskMetrics> {
  const registry = new Registry();
  const perBoard = boardMetrics(registry);
  const broker = brokerMetrics(registry);
  const experiment = experimentMetrics(registry);
  const health = healthMetrics(registry);
  const verdicts = new Map<string, BoardVerdict>();
  const healthTopic = verdictFilter(desk).slice(0, -1);
  const rejected = new Counter({
    name: 'deskbox_rejected_messages_total',
    help: 'Messages from the desk no figure took, by channel and reason (docs/mqtt.md, "Reading status and telemetry")',
    labelNames: ['channel', 'reason'] as const,
    registers: [registry],
  });
  for (const [channel, reasons] of Object.entries(REASONS)) for (const reason of reasons) rejected.inc({ channel, reason }, 0);

  // Counted as they come and not kept, so a board sending garbage for weeks costs no memory.
  const view = createBoardView(desk, {
    // The view hears only the status and telemetry filters: a topic's last level is its channel.
    onRejected: (r) => rejected.inc({ channel: r.topic.slice(r.topic.lastIndexOf('/') + 1), reason: r.reason }),
  });
  const progressTopic = experimentTopic(desk);
  const stats = createStatsFold();
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
    else rejected.inc({ channel: 'experiment', reason: d.problem });
  };
  const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket) => {
    if (topic === STATS_TOPICS.stats) {
      const d = decodeStats(payload);
      if (d.ok) stats.add(d.value);
      else rejected.inc({ channel: 'stats', reason: d.problem });
    } else if (topic.startsWith(healthTopic)) {
      const d = decodeJson(BoardVerdictSchema, payload);
      if (d.ok) verdicts.set(d.value.board, d.value);
    } else if (topic === progressTopic) {
      onExperiment(payload, packet.retain);
    } else {
      view.apply(topic, payload, packet.retain);
    }
  };

  const filters = [allBoardsFilter(desk, 'status'), allBoardsFilter(desk, 'telemetry'), progressTopic, STATS_TOPICS.stats, verdictFilter(desk)];
  // After a reconnect the renewed subscriptions replay the retained messages: they are the news.
  const onConnect = () => {
    view.newConnection();
    progressLive = false;
  };
  client.on('message', onMessage);
  client.on('connect', onConnect);
  await client.subscribeAsync(filters, { qos: 1 });

  return {
    contentType: registry.contentType,
    rows: () => view.rows(boards),
    async render() {
      perBoard.update(view.rows(boards));
      broker.update(stats.current());
      health.update(boards, verdicts);
      experiment.update(progress, Date.now());
      return registry.metrics();
    },
    async close() {
      client.off('message', onMessage);
      client.off('connect', onConnect);
      if (client.connected) await client.unsubscribeAsync(filters);
    },
  };
}
