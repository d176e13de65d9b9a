/**
 * `deskbox exec` on a real simulated desk, as a user runs it: one group for identical output,
 * a board that fails on its own named with exit code 1, the JSON shape, commands inside every
 * guest, a timeout that leaves nothing running, a board switched off named at once, and
 * nothing left after `desk down`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../support/wait.ts';
import { deskbox, processesMentioning, runDeskbox } from '../support/deskbox.ts';
import { withDesk } from '../support/desk.ts';

/** `deskbox exec ...` with its exit code: a failed board is an answer here, not an error. */
async function exec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runDeskbox(['exec', ...args], { timeoutMs: 30_000 });
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('exec on a desk: grouped replies, a failing board, JSON, guests, timeouts, nothing left', () => withDesk('deskbox-e2e-exec-', async (desk) => {
  const state = desk.state;
  const marker = '543.2109';
  await desk.up({ boards: 3 });
  const at = ['--state', state];

  const uname = await exec(['all', ...at, '--', 'uname', '-s']);
  assert.equal([uname.code, uname.stdout], [0, '── 3 boards: b01-b03 (exit 0)\nLinux\n3 boards: 3 ok, 0 failed\n']);

  // Each board's command knows its board: this one fails on b02 only.
  const oneFails = await exec(['all', ...at, '--', 'sh', '-c', 'test "$DESKBOX_BOARD" != b02']);
  assert.is(oneFails.code, 1);
  assert.match(oneFails.stdout, /^── 2 boards: b01,b03 \(exit 0\)\n\(no output\)\n── 1 board: b02 \(exit 1\)\n/);
  assert.match(oneFails.stdout, /failed:\n {2}b02: exit 1\n3 boards: 2 ok, 1 failed\n$/);

  const json = await exec(['b01-b03', ...at, '--json', '--', 'sh', '-c', 'echo hi; test "$DESKBOX_BOARD" != b03']);
  const report = JSON.parse(json.stdout);
  assert.is(json.code, 1);
  assert.equal([report.ok, report.boards, report.targets, report.succeeded], [false, 3, 3, 2]);
  assert.equal(report.groups.map((g: { targets: string[]; compressed: string; exitCode: number; stdout: string }) => [g.targets, g.compressed, g.exitCode, g.stdout]),
    [[['b01', 'b02'], 'b01,b02', 0, 'hi\n'], [['b03'], 'b03', 1, 'hi\n']]);
  assert.equal(report.failed, [{ target: 'b03', reason: 'exit 1' }]);

  await deskbox(['guests', 'start', '--boards', 'all', '--count', '2', ...at]);
  const names = JSON.parse((await exec(['all', ...at, '--guests', '--json', '--', 'hostname'])).stdout);
  const guests = ['b01', 'b02', 'b03'].flatMap((b) => [`${b}-g0000`, `${b}-g0001`]);
  assert.equal(names.groups.map((g: { targets: string[]; stdout: string }) => [g.targets, g.stdout]), guests.map((id) => [[id], `${id}\n`]));
  const same = await exec(['all', ...at, '--guests', '--', 'cat', '/etc/hostname']);
  assert.equal([same.code, same.stdout.split('\n')[0], same.stdout.split('\n').at(-2)],
    [0, `── 6 guests: ${guests.join(',')} (exit 0)`, '6 guests on 3 boards: 6 ok, 0 failed']);

  const slow = await exec(['--boards', 'b02', ...at, '--timeout', '0.5', '--', 'sh', '-c', `sleep ${marker} & sleep ${marker}`]);
  assert.is(slow.code, 1);
  assert.match(slow.stdout, /b02: timed out after 0\.\d s\n/);
  await waitFor(async () => (await processesMentioning(marker)).length === 0, { timeoutMs: 3000, what: 'the timed-out command gone' });

  // A board switched off: its retained status says offline, so it is named at once, not waited for.
  await deskbox(['desk', 'power', 'b03', 'off', ...at]);
  await waitFor(async () => (await exec(['b03', ...at, '--timeout', '20', '--', 'true'])).stdout.includes('offline'), { timeoutMs: 15_000, what: 'b03 offline' });
  const started = performance.now();
  const withOff = await exec(['all', ...at, '--timeout', '20', '--', 'true']);
  const tookS = (performance.now() - started) / 1000;
  assert.is(withOff.code, 1);
  assert.match(withOff.stdout, /failed:\n {2}b03: offline( since \S+)? \((it shut down|its connection was lost)\): not asked\n3 boards: 2 ok, 1 failed\n$/);
  assert.ok(tookS < 10, `answered in ${tookS.toFixed(1)} s, not after the 20 s timeout`);

  await desk.down();
  assert.equal(await processesMentioning(state), [], 'no process of the desk left');
}));

test.run();
