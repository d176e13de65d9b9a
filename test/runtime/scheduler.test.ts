import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getTasks } from 'node-cron';
import { manualClock, systemClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { createScheduler } from '../../board/runtime/scheduler.ts';

/** A scheduler on a manual clock; `at()` is the seconds elapsed since `startEpochMs`. */
function setup(startEpochMs = Date.UTC(2026, 0, 1)) {
  const clock = manualClock(startEpochMs);
  const logger = memoryLogger();
  const scheduler = createScheduler({ clock, logger, timezone: 'UTC' });
  const at = () => (clock.now() - startEpochMs) / 1000;
  return { clock, logger, scheduler, at };
}

const settle = () => new Promise<void>((r) => setImmediate(r));

test('every(5) fires on whole multiples of 5 s of the wall clock', () => {
  const { clock, scheduler, at } = setup(Date.UTC(2026, 0, 1, 0, 0, 3, 250));
  const runs: number[] = [];
  scheduler.every('five', 5, () => { runs.push(at()); });
  clock.advance(20_000);
  // Started at :03.25, so :05, :10, :15, :20 fall within 20 s.
  assert.equal(runs, [1.75, 6.75, 11.75, 16.75]);
  scheduler.stopAll();
});

test('every(n) with n not dividing 60 is a steady period from the start', () => {
  const { clock, scheduler, at } = setup();
  const runs: number[] = [];
  scheduler.every('seven', 7, () => { runs.push(at()); });
  scheduler.every('half', 0.5, () => { runs.push(-at()); });
  clock.advance(21_000);
  assert.equal(runs.filter((r) => r > 0), [7, 14, 21]);
  assert.is(runs.filter((r) => r < 0).length, 42);
  scheduler.stopAll();
});

test('cron expressions: seconds field, 5-field minutes, ranges', () => {
  const { clock, scheduler, at } = setup();
  const a: number[] = [], b: number[] = [], c: number[] = [];
  scheduler.cron('at-30s', '30 * * * * *', () => { a.push(at()); });
  scheduler.cron('every-2-min', '*/2 * * * *', () => { b.push(at()); });
  scheduler.cron('hourly-window', '0 0 1-2 * * *', () => { c.push(at()); });
  clock.advance(3 * 3600_000);
  assert.equal(a.slice(0, 3), [30, 90, 150]);
  assert.is(a.length, 180);
  assert.equal(b.slice(0, 3), [120, 240, 360]);
  assert.is(b.length, 90);
  assert.equal(c, [3600, 7200]);
  scheduler.stopAll();
});

test('invalid expressions and periods are clear errors', () => {
  const { scheduler } = setup();
  assert.throws(() => scheduler.cron('bad', '61 * * * * *', () => undefined), /schedule "bad": invalid cron expression "61 \* \* \* \* \*": 61 is a invalid expression for second/);
  assert.throws(() => scheduler.cron('few', '* *', () => undefined), /expected 5 or 6 fields/);
  assert.throws(() => scheduler.every('zero', 0, () => undefined), /period must be a positive number/);
  assert.throws(() => scheduler.every('nan', Number.NaN, () => undefined), /period must be a positive number/);
});

test('an async job still running is not started again', async () => {
  const { clock, logger, scheduler } = setup();
  let started = 0;
  let release = () => {};
  scheduler.every('slow', 1, () => {
    started++;
    return new Promise<void>((r) => { release = r; });
  });
  clock.advance(1000);
  assert.is(started, 1);
  clock.advance(5000);
  assert.is(started, 1, 'no overlap while the first run is pending');
  assert.is(logger.records.filter((r) => r.msg.includes('still in progress')).length, 1, 'warned once per stall');
  release();
  await settle();
  clock.advance(1000);
  assert.is(started, 2);
  scheduler.stopAll();
});

test('a job that throws or rejects is logged and keeps its schedule', async () => {
  const { clock, logger, scheduler } = setup();
  let n = 0;
  scheduler.every('throws', 1, () => { n++; throw new Error('boom'); });
  scheduler.every('rejects', 2, async () => { throw new Error('async boom'); });
  // Step by step: a rejection settles on a later turn, and until then the job counts as running.
  for (let i = 0; i < 4; i++) {
    clock.advance(1000);
    await settle();
  }
  assert.is(n, 4);
  const errors = logger.records.filter((r) => r.level === 'error');
  assert.is(errors.filter((r) => r.fields?.job === 'throws' && r.fields.error === 'boom').length, 4);
  assert.is(errors.filter((r) => r.fields?.job === 'rejects' && r.fields.error === 'async boom').length, 2);
  scheduler.stopAll();
});

test('stop and stopAll end runs, free timers and release node-cron tasks', () => {
  const { clock, scheduler } = setup();
  const before = getTasks().size;
  let a = 0, b = 0;
  const job = scheduler.every('a', 1, () => { a++; });
  scheduler.cron('b', '* * * * * *', () => { b++; });
  scheduler.every('c', 7, () => undefined);
  clock.advance(2000);
  job.stop();
  job.stop();
  clock.advance(2000);
  assert.is(a, 2);
  assert.is(b, 4);
  scheduler.stopAll();
  clock.advance(5000);
  assert.is(b, 4);
  assert.is(getTasks().size, before, 'node-cron registry back to where it was');
});

test('a wall clock step forward is reported, one backward does not stall the schedule', () => {
  let wall = Date.UTC(2026, 0, 1);
  const base = manualClock();
  const clock = { ...base, now: () => wall + base.monotonic() };
  const logger = memoryLogger();
  const scheduler = createScheduler({ clock, logger, timezone: 'UTC' });
  let runs = 0;
  scheduler.every('tick', 1, () => { runs++; });
  base.advance(3000);
  assert.is(runs, 3);
  wall += 10_000; // e.g. NTP correcting the clock
  base.advance(1000);
  assert.ok(logger.records.some((r) => r.msg.startsWith('missed scheduled runs') && r.fields?.missed === 10));
  wall -= 3600_000;
  const before = runs;
  base.advance(3000);
  assert.is(runs - before, 3, 'keeps ticking after the clock went back an hour');
  scheduler.stopAll();
});

test('real clock: every(1) fires near whole seconds', async () => {
  const clock = systemClock();
  const scheduler = createScheduler({ clock, logger: memoryLogger() });
  const offsets: number[] = [];
  let done = () => {};
  const twice = new Promise<void>((r) => { done = r; });
  scheduler.every('real', 1, () => {
    offsets.push(Date.now() % 1000);
    if (offsets.length === 2) done();
  });
  const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`only ${offsets.length} runs in 3.5 s`)), 3500).unref());
  try {
    await Promise.race([twice, deadline]);
  } finally {
    scheduler.stopAll();
  }
  for (const o of offsets) assert.ok(o < 250, `fired ${o} ms after the second`);
});

test.run();
