/**
 * The host's sliding window over segments (HEAD, DATA and DONE frames share one sequence
 * space). Loss detection leans on the serial line being FIFO: when the board reports the
 * latest transmission it received (ACK's `last`, seq plus attempt), every unacknowledged
 * transmission sent before it was lost, so it goes again at once, without waiting for a timer
 * or a duplicate-ACK count. The timer is the fallback for a lost tail (nothing arrives after
 * it to reveal the gap): after one RTO without progress the oldest outstanding segment is
 * resent as a probe, and the ACK for that probe reveals the rest.
 */
import type { Clock } from '../../platform/clock.ts';
import { bitAt, SACK_SPAN, type AckFields } from './messages.ts';
import type { LinkModel } from './link-model.ts';
import { RetransmitTimer } from './retransmit-timer.ts';

interface Transmission { ordinal: number; at: number; delivered: number; deliveredAt: number }

interface Entry {
  seq: number;
  payloadBytes: number;
  /** Against the board's window (messages.ts windowCost). */
  cost: number;
  frameBytes: number;
  lost: boolean;
  /** One per attempt, in order: attempt n is tx[n]. */
  tx: Transmission[];
  frame(attempt: number): Buffer;
  onAcked(): void;
}

export interface SendWindowOptions {
  clock: Clock;
  model: LinkModel;
  /** Transmissions of one segment before giving up. */
  maxAttempts: number;
  receiverWindow: number;
  onGiveUp(seq: number, attempts: number): void;
  /** Something may have become sendable: a loss found, the window opened. */
  onWake(): void;
  /** A retransmission timeout: the oldest outstanding segment is marked lost. */
  onExpire(): void;
}

export class SendWindow {
  retransmits = 0;
  private readonly unacked = new Map<number, Entry>();
  private nextSeq = 0;
  private ordinal = 0;
  /** Payload bytes sent and not acknowledged, and what they cost the board's window. */
  private outstanding = 0;
  private outstandingCost = 0;
  /** Wire bytes of acknowledged segments, and when that last grew: for delivery-rate samples. */
  private delivered = 0;
  private deliveredAt = 0;
  private sampledOrdinal = 0;
  private receiverWindow: number;
  private readonly timer: RetransmitTimer;

  constructor(private readonly opts: SendWindowOptions) {
    this.receiverWindow = opts.receiverWindow;
    this.timer = new RetransmitTimer(opts.clock, () => opts.model.rto(), () => this.expire());
  }

  /** Nothing sent is waiting for an acknowledgement. */
  get idle(): boolean {
    return this.unacked.size === 0;
  }

  setReceiverWindow(bytes: number): void {
    this.receiverWindow = bytes;
  }

  /** A new segment of `bytes` (costing `cost` of the board's window) fits that window, the line's, and the ACK bitmap's span. */
  canAdmit(bytes: number, cost = bytes): boolean {
    const lowest = this.unacked.keys().next().value ?? this.nextSeq;
    if (this.nextSeq - lowest >= SACK_SPAN - 1) return false;
    if (this.outstandingCost + cost > this.receiverWindow) return false;
    return this.outstanding === 0 || this.outstanding + bytes <= this.opts.model.window();
  }

  /** Takes a new segment and returns its first transmission's frame. */
  send(payloadBytes: number, cost: number, frame: (seq: number, attempt: number) => Buffer, onAcked: () => void): Buffer {
    const seq = this.nextSeq++;
    const entry: Entry = { seq, payloadBytes, cost, frameBytes: 0, lost: false, tx: [], frame: (a) => frame(seq, a), onAcked };
    this.unacked.set(seq, entry);
    this.outstanding += payloadBytes;
    this.outstandingCost += cost;
    return this.transmit(entry);
  }

  /** The frame of the oldest segment known lost, resent; undefined if none (or after giving up). */
  takeRetransmission(): Buffer | undefined {
    for (const e of this.unacked.values()) {
      if (!e.lost) continue;
      if (e.tx.length >= this.opts.maxAttempts) {
        this.opts.onGiveUp(e.seq, e.tx.length);
        return undefined;
      }
      this.retransmits++;
      return this.transmit(e);
    }
    return undefined;
  }

  onAck(ack: AckFields): void {
    const now = this.opts.clock.monotonic();
    const lastTx = ack.last ? this.unacked.get(ack.last.seq)?.tx[ack.last.attempt] : undefined;
    let progressed = false;
    for (const e of this.unacked.values()) {
      const above = e.seq - ack.next - 1;
      if (e.seq >= ack.next && !(above >= 0 && bitAt(ack.sack, above))) continue;
      this.unacked.delete(e.seq);
      if (!e.lost) this.opts.model.transmission(e.frameBytes, false);
      this.outstanding -= e.payloadBytes;
      this.outstandingCost -= e.cost;
      this.delivered += e.frameBytes;
      progressed = true;
      e.onAcked();
    }
    if (progressed) {
      this.deliveredAt = now;
      this.timer.restart();
      this.opts.model.progressed();
    }
    let lostFound = false;
    if (lastTx && lastTx.ordinal > this.sampledOrdinal) {
      this.sampledOrdinal = lastTx.ordinal;
      this.opts.model.rttSample(now - lastTx.at);
      if (progressed) this.opts.model.rateSample((this.delivered - lastTx.delivered) / Math.max(1, now - lastTx.deliveredAt));
      for (const e of this.unacked.values()) {
        if (!e.lost && e.tx[e.tx.length - 1]!.ordinal < lastTx.ordinal) lostFound = this.markLost(e);
      }
    }
    const windowChanged = ack.window !== this.receiverWindow;
    this.receiverWindow = ack.window;
    if (progressed || lostFound || windowChanged) this.opts.onWake();
  }

  close(): void {
    this.timer.stop();
  }

  private transmit(e: Entry): Buffer {
    const now = this.opts.clock.monotonic();
    if (!this.hasInFlight()) {
      // Nothing was in flight: the wait for an ACK and the delivery interval start now.
      this.timer.restart();
      this.deliveredAt = now;
    }
    e.lost = false;
    e.tx.push({ ordinal: ++this.ordinal, at: now, delivered: this.delivered, deliveredAt: this.deliveredAt });
    const frame = e.frame(e.tx.length - 1);
    e.frameBytes = frame.length;
    this.timer.arm();
    return frame;
  }

  private markLost(e: Entry): true {
    e.lost = true;
    this.opts.model.transmission(e.frameBytes, true);
    return true;
  }

  private hasInFlight(): boolean {
    for (const e of this.unacked.values()) if (!e.lost && e.tx.length > 0) return true;
    return false;
  }

  /** No progress for an RTO: the oldest transmission in flight is taken as lost, as a probe. */
  private expire(): void {
    if (!this.hasInFlight()) return;
    let oldest: Entry | undefined;
    for (const e of this.unacked.values()) {
      if (!e.lost && (!oldest || e.tx[e.tx.length - 1]!.ordinal < oldest.tx[oldest.tx.length - 1]!.ordinal)) oldest = e;
    }
    this.markLost(oldest!);
    this.opts.model.timedOut();
    this.timer.restart();
    this.timer.arm();
    this.opts.onWake();
    this.opts.onExpire();
  }
}
