/**
 * Spreading a desk-wide schedule over its period (board/runtime/spread.ts and the scheduler's
 * `offsetMs`), on a manual clock: each board runs at its own fixed offset, 490 boards spread
 * over the period rather than all in one second, and a waiting run goes when its job stops.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { manualClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { createScheduler } from '../../board/runtime/scheduler.ts';
import { MAX_SPREAD_PERIOD_MS, periodAtMs, spreadOffsetMs } from '../../board/runtime/spread.ts';

const boards = Array.from({ length: 490 }, (_, i) => `b${String(i + 1).padStart(3, '0')}`);

test('spreadOffsetMs: fixed per board, within the period, even over 490 boards', () => {
  const period = 10 * 60_000;
  assert.is(spreadOffsetMs('b007', period), spreadOffsetMs('b007', period));
  const offsets = boards.map((b) => spreadOffsetMs(b, period));
  assert.ok(offsets.every((o) => Number.isInteger(o) && o >= 0 && o < period));
  // Ten one-minute buckets of 49 boards each on average: none far from it.
  const buckets = Array.from({ length: 10 }, (_, i) => offsets.filter((o) => Math.floor(o / 60_000) === i).length);
  assert.ok(Math.max(...buckets) <= 75 && Math.min(...buckets) >= 25, `boards per minute: ${buckets.join(', ')}`);
  assert.ok(new Set(offsets.map((o) => Math.floor(o / 1000))).size > 300, 'most boards in a second of their own');
  assert.is(spreadOffsetMs('b007', 1), 0);
});

test('periodAtMs: the time to the next firing, at most an hour', () => {
  const everyTen = (ms: number) => ms % 10_000 === 0;
  assert.is(periodAtMs(everyTen, 20_000, 1000), 10_000);
  assert.is(periodAtMs(() => false, 0, 60_000), MAX_SPREAD_PERIOD_MS);
});

function setup() {
  const start = Date.UTC(2026, 0, 1);
  const clock = manualClock(start);
  const scheduler = createScheduler({ clock, logger: memoryLogger(), timezone: 'UTC' });
  return { clock, scheduler, at: () => (clock.now() - start) / 1000 };
}

test('cron with offsetMs: each firing runs its offset later, given the period; clamped below it', () => {
  const { clock, scheduler, at } = setup();
  const runs: Record<string, number[]> = { a: [], b: [], minutes: [], daily: [] };
  const periods: Record<string, number[]> = { a: [], b: [], minutes: [], daily: [] };
  const job = (name: string, expression: string, offset: number) =>
    scheduler.cron(name, expression, () => { runs[name]!.push(at()); }, { offsetMs: (p) => { periods[name]!.push(p); return offset; } });
  job('a', '*/10 * * * * *', 3500);
  job('b', '*/10 * * * * *', 99_999);
  job('minutes', '*/10 * * * *', 125_000);
  job('daily', '0 3 * * *', 60_000);
  clock.advance(4 * 3600_000);
  assert.equal(runs.a!.slice(0, 3), [13.5, 23.5, 33.5]);
  assert.equal(runs.b!.slice(0, 2), [19.999, 29.999], 'an offset past the period is held below it');
  assert.equal([...new Set(periods.a)], [10_000]);
  assert.equal(runs.minutes!.slice(0, 2), [725, 1325]);
  assert.equal([...new Set(periods.minutes)], [600_000]);
  assert.equal(runs.daily, [3 * 3600 + 60]);
  assert.equal(periods.daily, [MAX_SPREAD_PERIOD_MS], 'a day counts as an hour');
  scheduler.stopAll();
});

test('a run waiting out its offset does not run after its job stopped', () => {
  const { clock, scheduler } = setup();
  let ran = 0;
  const job = scheduler.cron('late', '*/10 * * * * *', () => { ran++; }, { offsetMs: () => 5000 });
  clock.advance(12_000);
  job.stop();
  clock.advance(60_000);
  assert.is(ran, 0);
});

test('boards on one schedule run at their own offsets, the same each period', () => {
  const { clock, scheduler, at } = setup();
  const runs = new Map<string, number[]>();
  for (const b of boards.slice(0, 20)) {
    runs.set(b, []);
    scheduler.cron(b, '*/2 * * * * *', () => { runs.get(b)!.push(Math.round(at() * 1000)); }, { offsetMs: (p) => spreadOffsetMs(b, p) });
  }
  clock.advance(10_000);
  for (const [b, r] of runs) {
    const offset = spreadOffsetMs(b, 2000);
    assert.equal(r, [2000, 4000, 6000, 8000].map((ms) => ms + offset).filter((t) => t <= 10_000), b);
  }
  assert.ok(new Set([...runs.values()].map((r) => r[0])).size >= 15, 'not all in one instant');
  scheduler.stopAll();
});

test.run();
