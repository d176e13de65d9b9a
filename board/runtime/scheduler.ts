import { createTask, validateDetailed } from 'node-cron';
import type { Clock, TimerHandle } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { periodAtMs } from './spread.ts';

export interface ScheduledJob {
  stop(): void;
}

export interface Scheduler {
  /** Every `periodSeconds`; aligned to the wall clock (:00, :05...) when it divides 60. */
  every(name: string, periodSeconds: number, fn: () => void | Promise<void>): ScheduledJob;
  /** node-cron syntax, 5 fields or 6 with seconds first. */
  cron(name: string, expression: string, fn: () => void | Promise<void>, opts?: CronOptions): ScheduledJob;
  stopAll(): void;
}

export interface CronOptions {
  /**
   * Runs each firing this long after it (clamped below the period), given the period: the time
   * from this firing to the next (spread.ts: periods over an hour count as an hour).
   */
  offsetMs?(periodMs: number): number;
}

export interface SchedulerDeps {
  clock: Clock;
  logger: Logger;
  /** IANA zone for cron fields (default: the process's local zone, as cron does). */
  timezone?: string;
}

/** Timers may fire a hair early on some platforms; within this, the tick counts as on time. */
const EARLY_TOLERANCE_MS = 50;
/**
 * Gaps up to this many seconds are checked for missed runs; a longer one is a clock step (a
 * board without RTC booting in 1970 until NTP), where matching every second would stall it.
 */
const MISSED_SCAN_LIMIT = 120;

/**
 * node-cron parses and matches expressions; time itself comes from the injected Clock, so tests
 * drive schedules with a manual clock and the board runs on the system one. node-cron's own
 * runner is never started: its timers read the real time and cannot be driven by hand.
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { clock, logger, timezone } = deps;
  const jobs = new Set<Job>();

  const add = (name: string, fn: () => void | Promise<void>, start: (job: Job) => void): ScheduledJob => {
    const job = new Job(name, fn, clock, logger);
    jobs.add(job);
    job.onStop = () => jobs.delete(job);
    start(job);
    return { stop: () => job.stop() };
  };

  const cron = (name: string, expression: string, fn: () => void | Promise<void>, opts: CronOptions = {}): ScheduledJob => {
    const check = validateDetailed(expression);
    if (!check.valid) {
      const why = check.errors.map((e) => e.message).join('; ');
      throw new Error(`schedule "${name}": invalid cron expression "${expression}": ${why}`);
    }
    // createTask gives the matcher without starting node-cron's clock; the task sits in
    // node-cron's global registry until destroyed, so the job destroys it when it stops.
    const task = createTask(expression, () => undefined, { name: `deskbox:${name}`, timezone });
    // A 5-field expression fires on whole minutes: its next firing is looked for a minute at a time.
    const stepS = expression.trim().split(/\s+/).length === 6 ? 1 : 60;
    const offsetMs = opts.offsetMs;
    const delayMs = offsetMs && ((second: number) => {
      const periodMs = periodAtMs((ms) => task.match(new Date(ms)), second * 1000, stepS * 1000);
      return Math.min(Math.max(0, offsetMs(periodMs)), periodMs - 1);
    });
    return add(name, fn, (job) => {
      job.onStopped(() => void task.destroy());
      job.startMatching((second) => task.match(new Date(second * 1000)), delayMs);
    });
  };

  return {
    cron,
    every(name, periodSeconds, fn) {
      if (!(Number.isFinite(periodSeconds) && periodSeconds > 0)) {
        throw new Error(`schedule "${name}": period must be a positive number of seconds, got ${periodSeconds}`);
      }
      // What `*/N * * * * *` would match, without asking node-cron every second: its matcher
      // formats the date for the time zone each time, which at 35 boards a process was ~8% of
      // an agent process's CPU. Epoch seconds are whole minutes apart in every zone.
      if (Number.isInteger(periodSeconds) && 60 % periodSeconds === 0) return add(name, fn, (job) => job.startMatching((second) => second % periodSeconds === 0));
      return add(name, fn, (job) => job.startPeriod(periodSeconds * 1000));
    },
    stopAll() {
      for (const job of [...jobs]) job.stop();
    },
  };
}

class Job {
  private timer: TimerHandle | undefined;
  /** A run waiting out its offset. */
  private delayed: TimerHandle | undefined;
  private readonly cleanups: (() => void)[] = [];
  private running = false;
  private stopped = false;
  private overlapWarned = false;
  onStop: () => void = () => undefined;

  constructor(
    readonly name: string,
    private readonly fn: () => void | Promise<void>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  onStopped(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Runs at each epoch second `matches` accepts; `delayMs`: how long after a firing at `second` it runs (at once without it). */
  startMatching(matches: (second: number) => boolean, delayMs?: (second: number) => number): void {
    let last = Math.floor(this.clock.now() / 1000);
    const tick = () => {
      const second = Math.floor((this.clock.now() + EARLY_TOLERANCE_MS) / 1000);
      // Same second twice (an early timer) must not run twice; a wall clock stepped back
      // (NTP on a board without RTC) restarts counting rather than pausing until it catches up.
      if (second !== last) {
        if (second > last + 1) this.reportMissed(matches, last + 1, second);
        last = second;
        if (matches(second)) {
          if (delayMs) this.runAfter(delayMs(second) - (this.clock.now() - second * 1000));
          else this.run();
        }
      }
      this.arm(tick, (second + 1) * 1000 - this.clock.now());
    };
    this.arm(tick, (last + 1) * 1000 - this.clock.now());
  }

  startPeriod(periodMs: number): void {
    // Due times are computed from the start, so timer lateness does not accumulate as drift.
    const start = this.clock.monotonic();
    let n = 1;
    const tick = () => {
      this.run();
      const now = this.clock.monotonic();
      const behind = Math.floor((now - start) / periodMs);
      if (behind >= n + 1) this.logger.warn('schedule fell behind, skipping runs', { job: this.name, skipped: behind - n });
      n = Math.max(n + 1, behind + 1);
      this.arm(tick, start + n * periodMs - now);
    };
    this.arm(tick, periodMs);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    if (this.delayed) this.clock.clearTimeout(this.delayed);
    this.timer = undefined;
    this.delayed = undefined;
    for (const cleanup of this.cleanups) cleanup();
    this.onStop();
  }

  private arm(fn: () => void, ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(fn, Math.max(0, ms));
  }

  private runAfter(ms: number): void {
    if (this.stopped) return;
    // A firing still waiting when the next comes (a clock stepped back) is replaced, not doubled.
    if (this.delayed) this.clock.clearTimeout(this.delayed);
    this.delayed = this.clock.setTimeout(() => {
      this.delayed = undefined;
      this.run();
    }, Math.max(0, ms));
  }

  private run(): void {
    if (this.running) {
      if (!this.overlapWarned) this.logger.warn('previous run still in progress, skipping', { job: this.name });
      this.overlapWarned = true;
      return;
    }
    this.running = true;
    this.overlapWarned = false;
    let result: void | Promise<void>;
    try {
      result = this.fn();
    } catch (e) {
      this.fail(e);
      return;
    }
    if (result && typeof result.then === 'function') {
      result.then(() => { this.running = false; }, (e: unknown) => this.fail(e));
    } else {
      this.running = false;
    }
  }

  private fail(err: unknown): void {
    this.running = false;
    this.logger.error('scheduled job failed', { job: this.name, error: err instanceof Error ? err.message : String(err) });
  }

  private reportMissed(matches: (second: number) => boolean, from: number, to: number): void {
    if (to - from > MISSED_SCAN_LIMIT) {
      this.logger.warn('wall clock jumped forward, runs in between skipped', { job: this.name, seconds: to - from });
      return;
    }
    let missed = 0;
    for (let s = from; s < to; s++) if (matches(s)) missed++;
    if (missed) this.logger.warn('missed scheduled runs (clock jumped or process stalled)', { job: this.name, missed });
  }
}
