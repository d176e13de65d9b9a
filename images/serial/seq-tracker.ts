/**
 * The board's record of which segments arrived: everything below `next`, plus a set above it
 * for those that came after a gap. ACK reports both (cumulative plus selective bitmap), so one
 * lost frame costs one retransmission, not the window behind it, and names the latest
 * arrival, from which the host tells which earlier transmissions were lost.
 */
import { SACK_SPAN, setBit, type MessageOf, type SegmentFields } from './messages.ts';

export class SeqTracker {
  /** Every seq below this has been taken in. */
  next = 0;
  private readonly above = new Set<number>();
  private last: SegmentFields | null = null;

  /** Notes an arrival for the next ACK; true when the segment is new and within reach. */
  arrived(m: SegmentFields): boolean {
    this.last = { seq: m.seq, attempt: m.attempt };
    // Beyond what an ACK can report: a v1 host never sends that far ahead.
    return !(m.seq < this.next || this.above.has(m.seq) || m.seq > this.next + SACK_SPAN);
  }

  take(seq: number): void {
    if (seq !== this.next) {
      this.above.add(seq);
      return;
    }
    this.next++;
    while (this.above.delete(this.next)) this.next++;
  }

  ack(session: number, window: number): MessageOf<'ack'> {
    return { kind: 'ack', session, next: this.next, sack: this.sack(), window, last: this.last };
  }

  /** Bit i: seq next + 1 + i has arrived; only as long as the highest such seq needs. */
  private sack(): Buffer {
    let highest = -1;
    for (const s of this.above) highest = Math.max(highest, s - this.next - 1);
    if (highest < 0) return Buffer.alloc(0);
    const map = Buffer.alloc(Math.min(SACK_SPAN / 8, (highest >> 3) + 1));
    for (const s of this.above) {
      const i = s - this.next - 1;
      if (i < SACK_SPAN) setBit(map, i);
    }
    return map;
  }
}
