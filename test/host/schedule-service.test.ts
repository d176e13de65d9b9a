/**
 * The desk's schedules on a manual clock: a nightly run fires at its minute, a fast schedule
 * that is still running is not started twice (skipped, recorded), and after downtime the runs
 * the desk missed are recorded as missed, not run. Each outcome lands in the store. And as a
 * desk runs them (the supervisor's and `schedule serve`'s wiring): schedules added with the
 * real CLI fire from the injected clock as real `deskbox` commands, and `schedule runs` shows
 * how each went.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { manualClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { cronMatcher, CronError, occurrences } from '../../host/schedule/cron-match.ts';
import { startScheduleService, type CommandOutcome } from '../../host/schedule/service.ts';
import { openScheduleStore, type ScheduleRun } from '../../host/schedule/store.ts';
import { startDeskSchedules } from '../../host/schedule/desk-schedules.ts';
import { withTempDir } from '../support/temp-dir.ts';
import { DESKBOX_CLI, deskbox } from '../support/deskbox.ts';
import { waitFor } from '../support/wait.ts';

const at = (h: number, m: number, s = 0) => Date.UTC(2026, 11, 2, h, m, s);
const settle = async () => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };

test('cron: bad expressions refused with why; occurrences between two times', () => {
  assert.throws(() => cronMatcher('0 25 * * *'), (e: Error) => e instanceof CronError && /0 25 \* \* \*/.test(e.message));
  const nightly = cronMatcher('0 2 * * *', 'UTC');
  assert.equal(occurrences(nightly, at(0, 0), at(23, 59)), [at(2, 0)]);
  assert.equal(occurrences(nightly, at(2, 0), at(23, 59)), [], 'from is exclusive');
  nightly.dispose();
});

test('a nightly run fires at 02:00; a fast one still running is skipped; outcomes kept', () => withTempDir('deskbox-sched-', async (dir) => {
  const store = openScheduleStore(join(dir, 'schedules.db'));
  const clock = manualClock(at(1, 59, 55));
  const nightly = store.add('0 2 * * *', ['run', 'plans/nightly.yaml'], clock.now());
  const fast = store.add('*/2 * * * * *', ['desk', 'power', 'b01', 'state'], clock.now());
  const ran: string[][] = [];
  const pending: ((o: CommandOutcome) => void)[] = [];
  const service = startScheduleService({
    store, clock, logger: memoryLogger(), timezone: 'UTC',
    run: (argv) => { ran.push(argv); return new Promise((r) => pending.push(r)); },
  });
  try {
    for (let i = 0; i < 6; i++) { clock.advance(1000); await settle(); } // to 02:00:01
    assert.equal(ran, [['desk', 'power', 'b01', 'state'], ['run', 'plans/nightly.yaml']], 'the fast one at :56, the nightly at 02:00; the fast one at :58 and :00 skipped');
    pending.shift()!({ exitCode: 0, tail: 'b01: power on' });
    pending.shift()!({ exitCode: 1, tail: 'run refused: no board online' });
    await settle();
    const outcomes = store.runs().map((r) => [r.schedule, r.outcome, new Date(r.dueAt).toISOString().slice(11, 19)]);
    assert.equal(outcomes, [
      [fast.id, 'skipped', '01:59:58'], [fast.id, 'skipped', '02:00:00'], [fast.id, 'ok', '01:59:56'], [nightly.id, 'failed', '02:00:00'],
    ]);
    assert.is(store.runs(nightly.id)[0]!.detail, 'run refused: no board online');
  } finally {
    await service.stop();
    store.close();
  }
}));

test('after downtime: the runs it missed are recorded as missed, not run', () => withTempDir('deskbox-sched-', async (dir) => {
  const path = join(dir, 'schedules.db');
  const store = openScheduleStore(path);
  const clock = manualClock(at(1, 0));
  const nightly = store.add('0 2 * * *', ['run', 'plans/nightly.yaml'], clock.now());
  store.setSeen(at(1, 0)); // the desk went down at 01:00
  const later = manualClock(at(3, 30));
  const ran: string[][] = [];
  const service = startScheduleService({ store, clock: later, logger: memoryLogger(), timezone: 'UTC', run: async (argv) => { ran.push(argv); return { exitCode: 0, tail: '' }; } });
  try {
    assert.equal(ran, []);
    assert.equal(store.runs(nightly.id).map((r) => [r.outcome, r.dueAt, r.detail]), [['missed', at(2, 0), 'the desk was not running']]);
  } finally {
    await service.stop();
    store.close();
  }
}));

test('in a desk: schedules added with the CLI fire from the injected clock as deskbox commands; `schedule runs` shows each outcome', () => withTempDir('deskbox-sched-desk-', async (dir) => {
  const add = async (...argv: string[]) => (JSON.parse((await deskbox(['schedule', 'add', '--state', dir, '--json', '0 2 * * *', ...argv])).stdout) as { id: number }).id;
  const listing = await add('schedule', 'ls');
  const failing = await add('schedule', 'rm', '99');
  const clock = manualClock(at(1, 59, 58));
  const schedules = startDeskSchedules({ state: dir, cli: DESKBOX_CLI, clock, logger: memoryLogger(), timezone: 'UTC' });
  try {
    const runs = async () => JSON.parse((await deskbox(['schedule', 'runs', '--state', dir, '--json'])).stdout) as ScheduleRun[];
    clock.advance(1000);
    await settle();
    assert.equal(await runs(), [], 'nothing due at 01:59:59');
    clock.advance(1000); // 02:00:00
    let seen: ScheduleRun[] = [];
    await waitFor(async () => (seen = await runs()).length === 2, { timeoutMs: 20_000, what: () => `both 02:00 runs recorded (${JSON.stringify(seen)})` });
    const byId = new Map(seen.map((r) => [r.schedule, r]));
    const ok = byId.get(listing)!;
    assert.equal([ok.outcome, ok.exitCode, ok.dueAt], ['ok', 0, at(2, 0)]);
    // `schedule ls` run by the desk reads the desk's own store: the command ran with its state.
    assert.match(ok.detail, /deskbox schedule rm 99/);
    const failed = byId.get(failing)!;
    assert.equal([failed.outcome, failed.exitCode, failed.dueAt], ['failed', 1, at(2, 0)]);
    assert.match(failed.detail, /no schedule 99/);
    const text = (await deskbox(['schedule', 'runs', '--state', dir])).stdout;
    assert.match(text, new RegExp(`2026-12-02 02:00:00  schedule ${listing}  ok \\(exit 0\\)`));
    assert.match(text, new RegExp(`2026-12-02 02:00:00  schedule ${failing}  failed \\(exit 1\\)  .*no schedule 99`));
  } finally {
    await schedules.stop();
  }
}));

test.run();
