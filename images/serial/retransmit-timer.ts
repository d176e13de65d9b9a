/**
 * The fallback for losses no later ACK reveals (the tail of a burst, a lost retransmission
 * with nothing sent after it): fires one RTO after the last progress, the way RFC 6298 restarts
 * its timer on every new acknowledgement. Lazy: progress only moves the deadline, checked
 * when the timer fires, so thousands of ACKs cost no timer churn.
 */
import type { Clock } from '../../platform/clock.ts';
import { NamedTimers } from './session-timers.ts';

export class RetransmitTimer {
  private lastProgressAt = 0;
  private readonly timers: NamedTimers<'rto'>;

  constructor(private readonly clock: Clock, private readonly rto: () => number, private readonly onExpire: () => void) {
    this.timers = new NamedTimers(clock);
  }

  /** New data acknowledged, or a wait begins with nothing in flight: the RTO counts from now. */
  restart(): void {
    this.lastProgressAt = this.clock.monotonic();
  }

  /** Makes sure the timer runs. */
  arm(): void {
    if (this.timers.has('rto')) return;
    this.timers.set('rto', this.lastProgressAt + this.rto() - this.clock.monotonic(), () => this.fire());
  }

  stop(): void {
    this.timers.clearAll();
  }

  private fire(): void {
    if (this.clock.monotonic() < this.lastProgressAt + this.rto()) return this.arm();
    this.onExpire();
  }
}
