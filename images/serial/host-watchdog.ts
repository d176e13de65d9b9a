/**
 * The host's two bounds on a board mid-session: nothing at all heard for silenceMs (gone:
 * unplugged, crashed, cable cut), or heard but no progress for workMs (stuck: a check or a
 * commit that never ends, storage that never frees the window). One lazy timer: events only
 * move the deadlines, which are checked when it fires.
 */
import type { Clock } from '../../platform/clock.ts';
import { NamedTimers } from './session-timers.ts';

export interface WatchdogOptions {
  clock: Clock;
  silenceMs: number;
  workMs: number;
  /** Why it tripped, for the error. */
  onTrip(reason: 'silence' | 'no-progress'): void;
}

export class Watchdog {
  private lastHeard = 0;
  private lastProgress = 0;
  private readonly timers: NamedTimers<'watch'>;

  constructor(private readonly opts: WatchdogOptions) {
    this.timers = new NamedTimers(opts.clock);
  }

  heard(): void {
    this.lastHeard = this.opts.clock.monotonic();
  }

  /** Progress is also a sign of life; the first one starts the watch. */
  progressed(): void {
    this.lastProgress = this.lastHeard = this.opts.clock.monotonic();
    if (!this.timers.has('watch')) this.check();
  }

  stop(): void {
    this.timers.clearAll();
  }

  private check(): void {
    const { silenceMs, workMs } = this.opts;
    const now = this.opts.clock.monotonic();
    if (now >= this.lastHeard + silenceMs) return this.opts.onTrip('silence');
    if (now >= this.lastProgress + workMs) return this.opts.onTrip('no-progress');
    this.timers.set('watch', Math.min(this.lastHeard + silenceMs, this.lastProgress + workMs) - now, () => this.check());
  }
}
