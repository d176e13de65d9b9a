/**
 * Runs the desk's schedules (store.ts) on an injected clock: every second it asks each
 * schedule's cron whether it fires now and runs its deskbox command (`run`, injected: a child
 * process in the desk, a fake in tests), recording the outcome. A run still going when its
 * next time comes is not started twice (`skipped`). At start, the times the desk was down
 * for are recorded as `missed`, not run: a nightly experiment should not start at noon
 * because the desk was off at 2 a.m.
 */
import type { Clock, TimerHandle } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { cronMatcher, occurrences, type CronMatcher } from './cron-match.ts';
import type { Schedule, ScheduleStore } from './store.ts';

export interface CommandOutcome {
  exitCode: number;
  /** The last lines it printed. */
  tail: string;
}

export interface ScheduleServiceDeps {
  store: ScheduleStore;
  clock: Clock;
  logger: Logger;
  run(argv: string[]): Promise<CommandOutcome>;
  timezone?: string;
}

export function startScheduleService(deps: ScheduleServiceDeps) {
  const { store, clock, logger } = deps;
  const matchers = new Map<number, { schedule: Schedule; matcher: CronMatcher }>();
  const running = new Map<number, Promise<void>>();
  let timer: TimerHandle | undefined;
  let stopped = false;

  /** Schedules added or removed since the last look (the CLI writes the store, not this process). */
  const refresh = () => {
    const now = new Set<number>();
    for (const s of store.list()) {
      now.add(s.id);
      if (!matchers.has(s.id)) {
        try {
          matchers.set(s.id, { schedule: s, matcher: cronMatcher(s.cron, deps.timezone) });
        } catch (e) {
          logger.warn('schedule not run: bad cron', { id: s.id, error: (e as Error).message });
        }
      }
    }
    for (const [id, m] of matchers) if (!now.has(id)) { m.matcher.dispose(); matchers.delete(id); }
  };

  const start = (s: Schedule, dueAt: number) => {
    if (running.has(s.id)) {
      store.record({ schedule: s.id, dueAt, outcome: 'skipped', startedAt: null, endedAt: null, exitCode: null, detail: 'the previous run was still going' });
      return;
    }
    const startedAt = clock.now();
    logger.info('schedule run', { id: s.id, argv: s.argv });
    const done = deps.run(s.argv)
      .then((o) => ({ outcome: o.exitCode === 0 ? 'ok' as const : 'failed' as const, exitCode: o.exitCode, detail: o.tail }))
      .catch((e: Error) => ({ outcome: 'failed' as const, exitCode: null, detail: e.message }))
      .then((r) => {
        running.delete(s.id);
        store.record({ schedule: s.id, dueAt, startedAt, endedAt: clock.now(), ...r });
      });
    running.set(s.id, done);
  };

  let last = Math.floor(clock.now() / 1000) * 1000;
  const tick = () => {
    refresh();
    const second = Math.floor(clock.now() / 1000) * 1000;
    for (let t = last + 1000; t <= second; t += 1000) {
      for (const { schedule, matcher } of matchers.values()) {
        // A 5-field schedule fires at second 0 of its minute.
        if ((matcher.stepMs === 1000 || t % 60_000 === 0) && matcher.matches(t)) start(schedule, t);
      }
    }
    last = second;
    store.setSeen(second);
    if (!stopped) timer = clock.setTimeout(tick, second + 1000 - clock.now());
  };

  // What the desk missed while it was down: recorded, not run.
  refresh();
  const seen = store.seen();
  if (seen !== undefined) {
    for (const { schedule, matcher } of matchers.values()) {
      for (const dueAt of occurrences(matcher, seen, last)) {
        store.record({ schedule: schedule.id, dueAt, outcome: 'missed', startedAt: null, endedAt: null, exitCode: null, detail: 'the desk was not running' });
      }
    }
  }
  store.setSeen(last);
  timer = clock.setTimeout(tick, last + 1000 - clock.now());

  return {
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
      await Promise.all(running.values());
      for (const m of matchers.values()) m.matcher.dispose();
    },
  };
}
