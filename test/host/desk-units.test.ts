/**
 * A real desk's systemd units as `deskbox desk units` writes them: systemd-analyze verify takes
 * both without a word about them, they run this Node and this deskbox's `health serve` and
 * `schedule serve` on the desk file and state folder given (paths with blanks quoted as systemd
 * reads them), and a broken desk file writes nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runProgram } from '../support/run-program.ts';
import { DESKBOX_CLI, deskbox, runDeskbox } from '../support/deskbox.ts';
import { withTempDir } from '../support/temp-dir.ts';

const DESK_YAML = 'v: 1\ndesk: lab1\nbroker: { url: "mqtts://deskpc.lab:8883", ca: ca.pem }\nboards:\n  b01: { power: { driver: manual } }\n';

test('desk units: deskbox-health and deskbox-schedule, accepted by systemd-analyze verify', () => withTempDir('deskbox-units-', async (dir) => {
  const deskDir = join(dir, 'lab desk');
  await mkdir(deskDir);
  await writeFile(join(deskDir, 'desk.yaml'), DESK_YAML);
  const out = join(dir, 'units');
  const written = JSON.parse((await deskbox(['desk', 'units', '--desk-file', join(deskDir, 'desk.yaml'), '--board-image', join(deskDir, 'board.dbi'), '--state', join(deskDir, 'state'), '--user', 'deskbox', '--out', out, '--json'])).stdout) as { name: string; path: string; text: string }[];
  assert.equal(written.map((u) => u.name), ['deskbox-health.service', 'deskbox-schedule.service']);
  assert.equal((await readdir(out)).sort(), ['deskbox-health.service', 'deskbox-schedule.service']);

  const r = await runProgram('systemd-analyze', ['verify', '--man=no', ...written.map((u) => u.path)]);
  const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('deskbox'));
  assert.equal(ours, [], 'no message about our units');
  assert.is(r.code, 0, r.stderr);

  const [health, schedule] = await Promise.all(written.map((u) => readFile(u.path, 'utf8')));
  const q = (p: string) => `"${p}"`;
  assert.ok(health!.includes(`ExecStart=${process.execPath} ${DESKBOX_CLI} health serve --desk-file ${q(join(deskDir, 'desk.yaml'))} --state ${q(join(deskDir, 'state'))} --board-image ${q(join(deskDir, 'board.dbi'))}\n`), health);
  assert.ok(schedule!.includes(`ExecStart=${process.execPath} ${DESKBOX_CLI} schedule serve --state ${q(join(deskDir, 'state'))}\n`), schedule);
  for (const text of [health!, schedule!]) {
    assert.ok(text.includes('User=deskbox\n'));
    // Scheduled commands reach the real desk through its desk file, and read plans next to it.
    assert.ok(text.includes(`Environment="DESKBOX_DESK_FILE=${join(deskDir, 'desk.yaml')}"\n`), text);
    assert.ok(text.includes(`WorkingDirectory=${deskDir}\n`), text);
  }
  assert.match(schedule!, /\nKillMode=mixed\n/);
}));

test('desk units: a broken desk file or none writes nothing and says why', () => withTempDir('deskbox-units-', async (dir) => {
  await writeFile(join(dir, 'desk.yaml'), 'v: 1\ndesk: lab1\n');
  const out = join(dir, 'units');
  const broken = await runDeskbox(['desk', 'units', '--desk-file', join(dir, 'desk.yaml'), '--board-image', 'board.dbi', '--out', out]);
  assert.is(broken.code, 1);
  assert.match(broken.stderr, /broker/);
  const none = await runDeskbox(['desk', 'units', '--board-image', 'board.dbi', '--out', out], { env: { ...process.env, DESKBOX_DESK_FILE: '' } });
  assert.is(none.code, 1);
  assert.match(none.stderr, /give --desk-file/);
  assert.equal(await readdir(out).catch(() => []), []);
}));

test.run();
