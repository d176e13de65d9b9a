/**
 * `deskbox use`: the desk later commands work with, saved; command line > environment > saved.
 * The CLI runs built (npm run build first), with DESKBOX_CONTEXT pointing into a temp folder.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contextEnvironment, contextFor, DeskContextError } from '../../host/locations/desk-context.ts';
import { runDeskbox } from '../support/deskbox.ts';
import { tempDirs } from '../support/temp-dir.ts';

const temps = tempDirs();
test.after.each(() => temps.removeAll());

test('what a target means: a broker URL, a desk file, else a state folder; paths made absolute', () => {
  assert.equal(contextFor('mqtts://lab:8883', '/home/me', { desk: 'lab1', ca: 'ca.pem', passwordFile: 'pw' }), { v: 1, broker: 'mqtts://lab:8883', desk: 'lab1', ca: '/home/me/ca.pem', passwordFile: '/home/me/pw' });
  assert.equal(contextFor('lab.yaml', '/home/me'), { v: 1, deskFile: '/home/me/lab.yaml' });
  assert.equal(contextFor('.desk', '/home/me'), { v: 1, state: '/home/me/.desk' });
  assert.throws(() => contextFor('.desk', '/home/me', { desk: 'x' }), (e: unknown) => e instanceof DeskContextError && /go with a broker URL/.test(e.message));
  assert.equal(contextEnvironment({ v: 1, broker: 'mqtt://x:1883', desk: 'd' }), { DESKBOX_BROKER: 'mqtt://x:1883', DESKBOX_DESK: 'd' });
});

test('the CLI: use saves, every command defaults to it, the environment and --state win, --clear forgets', async () => {
  const dir = await temps.make('deskbox-context-');
  const file = join(dir, 'context.json');
  const { DESKBOX_STATE: _unset, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, DESKBOX_CONTEXT: file, DESKBOX_DESK_FILE: '' };
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => runDeskbox(args, { env: { ...env, ...extra } });

  const none = await run(['use']);
  assert.equal([none.code, none.stdout], [0, `no desk saved (${file}): commands use .desk here unless told otherwise\n`]);
  const saved = await run(['use', join(dir, 'lab')]);
  assert.is(saved.code, 0, saved.stderr);
  assert.equal(JSON.parse(await readFile(file, 'utf8')), { v: 1, state: join(dir, 'lab') });
  assert.match((await run(['use'])).stdout, new RegExp(`^using the simulated desk in ${join(dir, 'lab')} \\(saved in `));

  // No desk runs in any of these folders: each command names the one it looked in.
  assert.match((await run(['boards'])).stderr, new RegExp(`no desk in ${join(dir, 'lab')} `), 'the saved folder');
  assert.match((await run(['boards'], { DESKBOX_STATE: join(dir, 'env') })).stderr, new RegExp(`no desk in ${join(dir, 'env')} `), 'the environment wins');
  assert.match((await run(['boards', '--state', join(dir, 'cli')], { DESKBOX_STATE: join(dir, 'env') })).stderr, new RegExp(`no desk in ${join(dir, 'cli')} `), 'the command line wins');
  assert.match((await run(['boards', '--help'])).stdout, /DESKBOX_STATE/);

  await writeFile(file, '{"v":2}');
  const broken = await run(['use', '--clear']);
  assert.is(broken.code, 0, 'a broken file does not stop --clear');
  assert.match(broken.stderr, /context\.json: v: .*\(deskbox use --clear removes it\)/);
  assert.match((await run(['use'])).stdout, /^no desk saved/);
});

test.run();
