/**
 * The CLI's exit codes: 0 for help and version, 2 for a command line it refuses (the usage
 * convention), 1 for a command that ran and failed; each failure one line on stderr.
 * Runs the built CLI (npm run build first).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runDeskbox } from '../support/deskbox.ts';

test('help and version exit 0', async () => {
  for (const args of [['--help'], ['desk', 'up', '--help'], ['--version']]) {
    const r = await runDeskbox(args);
    assert.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stdout.length > 0, args.join(' '));
  }
});

test('a refused command line exits 2 and says why first', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['desk', 'up', '--no-such-option'], /^error: unknown option '--no-such-option'/],
    [['image', 'inspect'], /^error: missing required argument 'file'/],
    [['boards', 'tag'], /^error: too many arguments for 'boards'/],
    [['desk', 'up', '--boards', 'many'], /^error: option '--boards <n>' argument 'many' is invalid/],
    [['no-such-command'], /^error: unknown command 'no-such-command'/],
  ];
  for (const [args, first] of cases) {
    const r = await runDeskbox(args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, first, args.join(' '));
  }
});

test('a command that ran and failed exits 1', async () => {
  const r = await runDeskbox(['desk', 'units', '--board-image', 'board.dbi', '--out', '/nonexistent/units'], { env: { ...process.env, DESKBOX_DESK_FILE: '' } });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /^deskbox: .*give --desk-file/);
});

test.run();
