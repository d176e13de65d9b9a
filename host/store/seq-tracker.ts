/**
 * Which telemetry samples of each board arrived, which are missing and which are copies.
 * A sample carries its agent's seq (0, 1, 2... per agent run) and the board's clock. MQTT
 * QoS 1 is at least once: a board that lost its connection resends what was not yet
 * acknowledged, so an old sample may arrive again after newer ones. Only a seq going back
 * while the board's clock goes forward is a new agent run.
 */
export interface LastSample {
  seq: number;
  at: number;
}

export type Verdict =
  /** The newest sample so far; `lost` samples before it never arrived (yet). */
  | { kind: 'new'; lost: number }
  /** Seen before (a resend, or a retained copy replayed on resubscribe): not stored again. */
  | { kind: 'duplicate' }
  /** Older than the newest, not seen before; `wasCountedLost` when a gap had counted it. */
  | { kind: 'late'; wasCountedLost: boolean };

/** Samples remembered per board to recognise resends; a resend comes within seconds. */
const RECENT = 256;
/** Gaps wider than this are counted but not remembered seq by seq. */
const MAX_REMEMBERED_GAP = 4096;

interface BoardSeqs {
  last: LastSample;
  recent: Set<string>;
  missing: Set<number>;
}

const key = (seq: number, at: number) => `${seq}@${at}`;

export class SeqTracker {
  readonly #boards = new Map<string, BoardSeqs>();

  /** `newest`: each board's newest stored sample, so a reopened store judges against it. */
  constructor(newest: ReadonlyMap<string, LastSample> = new Map()) {
    for (const [board, last] of newest) this.#boards.set(board, { last, recent: new Set([key(last.seq, last.at)]), missing: new Set() });
  }

  judge(board: string, seq: number, at: number): Verdict {
    const b = this.#boards.get(board);
    if (!b) {
      this.#boards.set(board, { last: { seq, at }, recent: new Set([key(seq, at)]), missing: new Set() });
      return { kind: 'new', lost: 0 };
    }
    const k = key(seq, at);
    if (b.recent.has(k)) return { kind: 'duplicate' };
    remember(b, k);
    if (seq > b.last.seq) {
      const lost = seq - b.last.seq - 1;
      if (lost <= MAX_REMEMBERED_GAP) for (let s = b.last.seq + 1; s < seq; s++) b.missing.add(s);
      b.last = { seq, at };
      return { kind: 'new', lost };
    }
    if (at <= b.last.at) return { kind: 'late', wasCountedLost: b.missing.delete(seq) };
    // A new agent run: its samples before this one never arrived.
    b.missing.clear();
    for (let s = 0; s < Math.min(seq, MAX_REMEMBERED_GAP); s++) b.missing.add(s);
    b.last = { seq, at };
    return { kind: 'new', lost: seq };
  }
}

function remember(b: BoardSeqs, k: string): void {
  b.recent.add(k);
  if (b.recent.size > RECENT) b.recent.delete(b.recent.values().next().value!);
}
