/**
 * The desk's health service: hears every board (status, telemetry, events, self-check
 * reports), turns that into evidence (evidence-reader.ts), lets the policy decide (policy.ts),
 * records each board's health and every transition (history.ts), publishes its verdict
 * retained on `deskbox/<desk>/health/<board>`, and runs the recoveries the policy asks for, one
 * board at a time per board, through `recover` (power cycle, reflash, re-check: recovery.ts).
 */
import type { MqttClient } from 'mqtt';
import { decode, decodeJson } from '../../broker/contract/messages.ts';
import { BoardVerdictSchema, HealthRequestSchema, healthRequestFilter, verdictTopic, type BoardVerdict } from '../../broker/contract/health.ts';
import { allBoardsFilter, isValidId, parseBoardTopic } from '../../broker/contract/topics.ts';
import type { Clock, TimerHandle } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import type { Evidence, HealthThresholds } from './evidence.ts';
import { createEvidenceReader } from './evidence-reader.ts';
import type { HealthHistory } from './history.ts';
import { decide, initialHealth, type BoardHealth, type Transition } from './policy.ts';

export interface RecoveryOutcome {
  ok: boolean;
  steps: string[];
  reason: string;
}

export interface HealthServiceDeps {
  client: MqttClient;
  desk: string;
  thresholds: HealthThresholds;
  history: HealthHistory;
  clock: Clock;
  logger: Logger;
  /** Recovers a board (its steps planned by the caller); never rejects. */
  recover(board: string): { steps: string[]; done: Promise<RecoveryOutcome> };
  /** Boards the desk switched off owe no telemetry. */
  switchedOff?(board: string): boolean;
  /** Hears each transition (the CLI's progress, tests). */
  onTransition?(t: Transition): void;
}

const CHANNELS = ['status', 'telemetry', 'events', 'health'] as const;
const SILENCE_TICK_MS = 5000;

export async function startHealthService(deps: HealthServiceDeps) {
  const { client, desk, thresholds, history, clock, logger } = deps;
  const reader = createEvidenceReader();
  const health = history.all();
  const recovering = new Set<string>();
  let timer: TimerHandle | undefined;
  let stopped = false;

  const verdict = (board: string, h: BoardHealth): BoardVerdict => ({ v: 1, board, state: h.state, since: h.since, reason: h.reason });
  const publish = (board: string, h: BoardHealth) =>
    client.publish(verdictTopic(desk, board), JSON.stringify(verdict(board, h)), { qos: 1, retain: true }, (err) => {
      if (err && !stopped) logger.warn('verdict not published', { board, error: err.message });
    });

  const apply = (board: string, evidence: Evidence) => {
    const v = decide(board, health.get(board) ?? initialHealth(evidence.at), evidence, thresholds);
    health.set(board, v.health);
    history.record(board, v.health, v.transition);
    if (v.transition) {
      logger.info('board health', { board, from: v.transition.from, to: v.transition.to, reason: v.transition.reason });
      publish(board, v.health);
      deps.onTransition?.(v.transition);
    }
    if (v.recover && !recovering.has(board) && !stopped) startRecovery(board);
  };

  // A board first heard gets its verdict at once, so readers (the dashboard, Home Assistant)
  // see `healthy` rather than nothing until its first transition.
  const welcome = (board: string, at: number) => {
    if (health.has(board)) return;
    const h = initialHealth(at);
    health.set(board, h);
    history.record(board, h);
    publish(board, h);
  };

  const startRecovery = (board: string) => {
    recovering.add(board);
    const { steps, done } = deps.recover(board);
    apply(board, { kind: 'recovery-started', at: clock.now(), steps });
    void done.then((outcome) => {
      recovering.delete(board);
      if (!stopped) apply(board, { kind: 'recovery', at: clock.now(), ...outcome });
    });
  };

  const requestPrefix = healthRequestFilter(desk).split('+')[0]!;
  const onMessage = (topic: string, payload: Buffer) => {
    if (topic.startsWith(requestPrefix) && topic.endsWith('/set')) {
      const board = topic.slice(requestPrefix.length, -'/set'.length);
      const d = decodeJson(HealthRequestSchema, payload);
      if (d.ok && isValidId(board)) apply(board, { kind: 'operator', at: clock.now(), action: d.value.action, by: d.value.by });
      else logger.warn('health request refused', { topic, reason: d.ok ? 'not a board id' : d.reason });
      return;
    }
    const parsed = parseBoardTopic(topic);
    if (!parsed || parsed.desk !== desk || payload.length === 0) return;
    const at = clock.now();
    // A board speaks only for itself: a payload naming another board is no evidence.
    const own = <T extends { board: string }>(d: { ok: true; value: T } | { ok: false }): T | undefined => (d.ok && d.value.board === parsed.board ? d.value : undefined);
    let evidence: Evidence[] | undefined;
    switch (parsed.channel) {
      case 'health': { const r = own(decode('health', payload)); if (r) evidence = reader.health(r, at); break; }
      case 'status': { const s = own(decode('status', payload)); if (s) evidence = reader.status(s, at); break; }
      case 'telemetry': { const t = own(decode('telemetry', payload)); if (t) evidence = reader.telemetry(t, at); break; }
      case 'events': { const e = own(decode('events', payload)); if (e) evidence = reader.event(e, at); break; }
      default: break;
    }
    if (!evidence) return;
    welcome(parsed.board, at);
    // A board the desk switched off goes without a goodbye, as it should.
    for (const e of evidence) if (e.kind !== 'vanished' || !deps.switchedOff?.(parsed.board)) apply(parsed.board, e);
  };

  const tick = () => {
    for (const [board, evidence] of reader.silences(clock.now(), thresholds.silentMs / 2, deps.switchedOff)) for (const e of evidence) apply(board, e);
    if (!stopped) timer = clock.setTimeout(tick, SILENCE_TICK_MS);
  };

  client.on('message', onMessage);
  await client.subscribeAsync([...CHANNELS.map((c) => allBoardsFilter(desk, c)), healthRequestFilter(desk)], { qos: 1 });
  // The record outlives the service: verdicts are published again for late readers.
  for (const [board, h] of health) publish(board, h);
  timer = clock.setTimeout(tick, SILENCE_TICK_MS);

  return {
    /** Every board's health now. */
    current: (): Map<string, BoardHealth> => new Map(health),
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
      client.off('message', onMessage);
    },
  };
}

/** Reads a retained verdict (board sets, CLI); undefined for anything else. */
export function readVerdict(payload: Buffer): BoardVerdict | undefined {
  const d = decodeJson(BoardVerdictSchema, payload);
  return d.ok ? d.value : undefined;
}
