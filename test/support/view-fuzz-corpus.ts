/**
 * A seeded corpus of hostile messages for a desk's board topics, made from real payloads of
 * real boards: empty, cut short, random bytes, wrong types and shapes, wrong version or board,
 * near and over the size limit, old copies, future stamps, other channels, odd board ids.
 * The same seed gives the same corpus. Used by the views' fuzz test (test/e2e/view-fuzz.test.ts)
 * and the page/host agreement test (test/host/page-contract.test.ts).
 */
import { MAX_PAYLOAD_BYTES } from '../../broker/contract/messages.ts';
import type { OnlineStatus, Telemetry } from '../../broker/contract/payloads.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { seededRandom } from './seeded-random.ts';

export interface FuzzBoard {
  board: string;
  status: OnlineStatus;
  /** Real samples, oldest first: the old copies come from here; the last one shapes the rest. */
  telemetry: Telemetry[];
}

export interface FuzzMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  kind: string;
  /** Over the broker's limit: the broker disconnects whoever publishes it. */
  oversized?: boolean;
}

const WRONG_VALUES: unknown[] = [null, 'NaN', '1.5', -1, -0.001, 1e300, [], {}, true, [1, 2], { powerW: 1 }, '', 'x'.repeat(300)];
const ODD_IDS = ['-b01', 'b 01', 'B@D', 'ü01', '.', 'x'.repeat(64), 'b01%', '_b'];

/** `boards`: two or more, each with two or more samples; `now`: the stamps of `future` messages count from it. */
export function fuzzCorpus(opts: { seed: number; desk: string; boards: FuzzBoard[]; count: number; now: number }): FuzzMessage[] {
  if (opts.boards.length < 2 || opts.boards.some((b) => b.telemetry.length < 2)) throw new Error('fuzzCorpus: two boards or more, two samples each');
  const random = seededRandom(opts.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (n: number) => Math.floor(random() * n);
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  const kinds: Record<string, (b: FuzzBoard, channel: 'status' | 'telemetry') => Omit<FuzzMessage, 'retain' | 'kind'>> = {
    empty: (b, ch) => ({ topic: topic(b, ch), payload: Buffer.alloc(0) }),
    truncated: (b, ch) => {
      const whole = json(real(b, ch));
      return { topic: topic(b, ch), payload: whole.subarray(0, 1 + int(whole.length - 1)) };
    },
    'random-bytes': (b, ch) => ({ topic: topic(b, ch), payload: Buffer.from(Array.from({ length: 1 + int(200) }, () => int(256))) }),
    'wrong-type': (b, ch) => {
      const value = real(b, ch);
      return { topic: topic(b, ch), payload: json({ ...value, [pick(Object.keys(value).filter((k) => k !== 'v'))]: pick(WRONG_VALUES) }) };
    },
    'bad-number-text': (b) => ({ topic: topic(b, 'telemetry'), payload: Buffer.from(JSON.stringify(last(b)).replace(/"powerW":[^,]+/, `"powerW":${pick(['1e999', '-1e999', 'NaN', '-5', '0x10'])}`)) }),
    'missing-field': (b, ch) => {
      const value: Record<string, unknown> = { ...real(b, ch) };
      delete value[pick(Object.keys(value))];
      return { topic: topic(b, ch), payload: json(value) };
    },
    'not-object': (b, ch) => ({ topic: topic(b, ch), payload: Buffer.from(pick(['null', '[]', '42', '"online"', 'true', '[{"v":1}]', '{}'])) }),
    version: (b, ch) => ({ topic: topic(b, ch), payload: json({ ...real(b, ch), v: pick([2, 0, '1', null]) }) }),
    'wrong-board': (b, ch) => ({ topic: topic(b, ch), payload: json({ ...real(b, ch), board: pick(opts.boards.filter((o) => o !== b)).board }) }),
    'near-limit': (b, ch) => ({ topic: topic(b, ch), payload: json({ ...real(b, ch), [ch === 'status' ? 'bootedAt' : 'powerW']: 'x'.repeat(MAX_PAYLOAD_BYTES - 1024) }) }),
    oversized: (b, ch) => ({ topic: topic(b, ch), payload: Buffer.alloc(MAX_PAYLOAD_BYTES + 1 + int(1000), 0x20), oversized: true }),
    'old-copy': (b, ch) => ({ topic: topic(b, ch), payload: json(ch === 'status' ? { ...b.status, uptimeS: b.status.uptimeS / 2 } : b.telemetry[int(b.telemetry.length - 1)]) }),
    // Valid, and stamped far ahead: a view shows it, but it must not hold back the board's own next messages.
    future: (b, ch) => ({
      topic: topic(b, ch),
      payload: json(ch === 'status'
        ? { ...b.status, version: 'from-the-future', bootedAt: opts.now + 1e9 }
        : { ...last(b), at: opts.now + 1e9 + int(1e6), powerW: 999, uptimeS: 1 }),
    }),
    'other-channel': (b) => ({ topic: `${boardTopic(opts.desk, b.board, 'status').replace(/status$/, '')}${pick(['events', 'reply', 'cmd', 'debug', 'status/extra', 'telemetry/x'])}`, payload: pick([Buffer.alloc(0), Buffer.from('{"v":1'), json(last(b))]) }),
    'odd-id': (b, ch) => ({ topic: `deskbox/${opts.desk}/boards/${pick(ODD_IDS)}/${ch}`, payload: json(real(b, ch)) }),
    'unknown-board': (b, ch) => ({ topic: boardTopic(opts.desk, 'b99', ch), payload: pick([Buffer.alloc(0), Buffer.from('garbage'), json({ ...real(b, ch), v: 3 })]) }),
    'other-desk': (b, ch) => ({ topic: boardTopic(`${opts.desk}x`, b.board, ch), payload: json(real(b, ch)) }),
  };

  const topic = (b: FuzzBoard, channel: 'status' | 'telemetry') => boardTopic(opts.desk, b.board, channel);
  const last = (b: FuzzBoard) => b.telemetry.at(-1)!;
  const real = (b: FuzzBoard, channel: 'status' | 'telemetry'): Record<string, unknown> => ({ ...(channel === 'status' ? b.status : last(b)) });

  const names = Object.keys(kinds);
  return Array.from({ length: opts.count }, () => {
    const kind = pick(names);
    const message = kinds[kind]!(pick(opts.boards), random() < 0.5 ? 'status' : 'telemetry');
    return { ...message, kind, retain: random() < 0.5 };
  });
}

/** How many of each kind, for the test's report. */
export function corpusKinds(corpus: readonly FuzzMessage[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of corpus) counts[m.kind] = (counts[m.kind] ?? 0) + 1;
  return counts;
}
