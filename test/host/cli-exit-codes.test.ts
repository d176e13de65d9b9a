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
    // Boards are picked by --boards everywhere; the older spellings say what to write instead.
    [['flash', '--all', '--image', 'x.dbi'], /^error: flash --all is gone: use --boards all\n/],
    [['flash', '--board', 'b01', '--image', 'x.dbi'], /^error: flash --board is gone: use --boards <ids>/],
    [['flash', '--desk', '--image', 'x.dbi'], /^error: flash --desk is gone: use --boards all \(flash reaches the desk by --state or --desk-file\)/],
    [['guests', 'start', '--all', '--count', '1'], /^error: guests start --all is gone: use --boards all\n/],
    [['image', 'ls', '--board', 'b01'], /^error: image ls --board is gone: use --boards <ids>/],
    [['guests', 'ls'], /^error: say which boards: --boards <set>/],
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
