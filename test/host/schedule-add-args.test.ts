/**
 * `deskbox schedule add` and the scheduled command's own options (host/schedule/add-args.ts):
 * after `--` they are the command's; without it, add refuses rather than take them as its own.
 * The words are checked by hand, then the real CLI is run (tsx, a temporary state folder).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ownOptionsAfterCron, ScheduleArgsError } from '../../host/schedule/add-args.ts';
import { openScheduleStore } from '../../host/schedule/store.ts';
import { runProgram } from '../support/run-program.ts';
import { withTempDir } from '../support/temp-dir.ts';
import { join } from 'node:path';

const OWN = [{ long: '--state', takesValue: true }, { long: '--json', takesValue: false }];

test('ownOptionsAfterCron: add\'s options after the cron expression, unless after --', () => {
  assert.equal(ownOptionsAfterCron(['--state', 'd', '--json', '0 2 * * *', 'run', 'p.yaml'], OWN), []);
  assert.equal(ownOptionsAfterCron(['0 2 * * *', 'health', '--json', '--state=x'], OWN), ['--json', '--state']);
  assert.equal(ownOptionsAfterCron(['--state', 'd', '0 2 * * *', 'run', 'p.yaml', '--state', 'x'], OWN), ['--state']);
  assert.equal(ownOptionsAfterCron(['--state', 'd', '0 2 * * *', '--', 'health', '--json', '--state', 'x'], OWN), []);
  assert.equal(ownOptionsAfterCron(['0 2 * * *', 'exec', 'all', '--timeout', '5', '--', 'true'], OWN), [], 'the command\'s own options are its own');
  assert.match(new ScheduleArgsError(['--json']).message, /^--json after the cron expression would be taken as schedule add's own.*-- health --json$/);
});

const CLI = new URL('../../host/cli/main.ts', import.meta.url).pathname;
const deskbox = (args: string[]) => runProgram(process.execPath, ['--import', 'tsx', CLI, ...args], { timeoutMs: 60_000 });

test('the CLI: a command after -- keeps --json and --state; without --, add refuses and stores nothing', () => withTempDir('deskbox-schedule-add-', async (state) => {
  const added = await deskbox(['schedule', 'add', '--state', state, '--json', '*/10 * * * *', '--', 'health', 'check', '--json', '--state', join(state, 'other')]);
  assert.is(added.code, 0, added.stderr);
  assert.equal((JSON.parse(added.stdout) as { argv: string[] }).argv, ['health', 'check', '--json', '--state', join(state, 'other')]);

  const refused = await deskbox(['schedule', 'add', '--state', state, '0 2 * * *', 'health', '--json']);
  assert.is(refused.code, 2, 'a usage error');
  assert.match(refused.stderr, /^deskbox: --json after the cron expression would be taken as schedule add's own/);

  const store = openScheduleStore(join(state, 'schedules.db'));
  try {
    assert.equal(store.list().map((s) => s.argv), [['health', 'check', '--json', '--state', join(state, 'other')]]);
  } finally {
    store.close();
  }
  const help = await deskbox(['schedule', 'add', '--help']);
  assert.match(help.stdout, /goes after `--`, which ends schedule add's options/);
}));

test.run();
