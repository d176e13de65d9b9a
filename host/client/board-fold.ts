/**
 * Every board's latest status and telemetry, folded from the messages a reader of a desk
 * receives, whatever they hold: each is checked by the contract, matched to its topic's
 * board and ordered by its own stamp before it counts (docs/mqtt.md, "Reading status and
 * telemetry"). The one fold behind `boards`, `monitor`, /metrics and, bundled for the
 * browser, the dashboard, so all four show the same desk.
 */
import { parseBoardTopic, ROOT, type ParsedBoardTopic } from '../../broker/contract/topics.ts';
import { decode, DECODE_PROBLEMS, type DecodeProblem } from '../../broker/contract/messages.ts';
import { standing, statusMark, telemetryMark, type Mark } from '../../broker/contract/ordering.ts';
import type { Status, Telemetry } from '../../broker/contract/payloads.ts';

export type RejectReason = DecodeProblem | 'bad-topic' | 'wrong-board' | 'stale';
export const REJECT_REASONS: readonly RejectReason[] = [...DECODE_PROBLEMS, 'bad-topic', 'wrong-board', 'stale'];

export interface Rejection {
  topic: string;
  reason: RejectReason;
  /** What is wrong, naming fields and limits but never quoting the payload. */
  detail: string;
}

export type FoldOutcome =
  | { kind: 'ignored' }
  | { kind: 'changed'; board: string; channel: 'status' | 'telemetry' }
  | { kind: 'rejected'; rejection: Rejection };

const IGNORED: FoldOutcome = { kind: 'ignored' };

export function createBoardFold(desk: string) {
  const status = new Map<string, Status>();
  const telemetry = new Map<string, Telemetry>();
  // The newest mark accepted per topic: kept when an empty message clears the value, so an
  // old copy published after the clear is still old.
  const marks = new Map<string, Mark>();
  // Topics that had a live message on this connection: a retained copy read later from the
  // broker's store is older than it (and may carry no mark to show it).
  let live = new Set<string>();
  const boardsPrefix = `${ROOT}/${desk}/boards/`;

  const reject = (topic: string, reason: RejectReason, detail: string): FoldOutcome => ({ kind: 'rejected', rejection: { topic, reason, detail } });

  /** One message about `t.board`'s channel: cleared, refused, ignored, or taken. */
  const judge = (t: ParsedBoardTopic & { channel: 'status' | 'telemetry' }, topic: string, payload: Uint8Array, retained: boolean, now: number): FoldOutcome => {
    const held: Map<string, Status | Telemetry> = t.channel === 'status' ? status : telemetry;
    if (payload.byteLength === 0) {
      // An empty retained message clears that topic on the broker: that channel, nothing else.
      return held.delete(t.board) ? { kind: 'changed', board: t.board, channel: t.channel } : IGNORED;
    }
    const d = decode(t.channel, payload);
    if (!d.ok) return reject(topic, d.problem, d.reason);
    if (d.value.board !== t.board) return reject(topic, 'wrong-board', 'the payload names another board');
    const previous = marks.get(topic);
    const mark = t.channel === 'status' ? statusMark(d.value as Status, previous) : telemetryMark(d.value as Telemetry);
    if (mark) {
      const verdict = standing(mark, previous, now);
      // A retained copy older than what is held is the broker's store lagging, not news.
      if (verdict === 'same' || (verdict === 'older' && retained)) return IGNORED;
      if (verdict === 'older') return reject(topic, 'stale', `stamped ${mark.stamp}, older than the ${previous!.stamp} held`);
      marks.set(topic, mark);
    }
    held.set(t.board, d.value);
    return { kind: 'changed', board: t.board, channel: t.channel };
  };

  return {
    status: status as ReadonlyMap<string, Status>,
    telemetry: telemetry as ReadonlyMap<string, Telemetry>,
    /** After a reconnect the retained copies are the news: forget what came live before. */
    newConnection(): void {
      live = new Set();
    },
    /** Folds one message in; `retained` is the packet's retain flag, `now` the reader's clock. */
    apply(topic: string, payload: Uint8Array, retained: boolean, now: number): FoldOutcome {
      const t = parseBoardTopic(topic);
      if (!t) return topic.startsWith(boardsPrefix) ? reject(topic, 'bad-topic', 'not a board topic of the contract') : IGNORED;
      if (t.desk !== desk || (t.channel !== 'status' && t.channel !== 'telemetry')) return IGNORED;
      if (retained && live.has(topic)) return IGNORED;
      const outcome = judge({ ...t, channel: t.channel }, topic, payload, retained, now);
      // Only topics that changed the picture are remembered: garbage on a thousand made-up
      // board ids must not grow a long-running view.
      if (!retained && outcome.kind === 'changed') live.add(topic);
      return outcome;
    },
  };
}

export type BoardFold = ReturnType<typeof createBoardFold>;
