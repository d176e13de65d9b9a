/**
 * The dashboard server's `/api/me` and `/api/console/<board>` without a desk or a browser: a
 * real server, a users file written here, a console log written here, and plain fetch.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryLogger } from '../../platform/log.ts';
import { systemClock } from '../../platform/clock.ts';
import { LoginThrottle } from '../../broker/login-throttle.ts';
import { saveUsers } from '../../broker/users.ts';
import { startDashboard } from '../../host/dashboard/server.ts';
import { dashboardUsers } from '../../host/dashboard/basic-auth.ts';
import { tailLines, TAIL_BYTES } from '../../host/dashboard/console-tail.ts';
import { testUsers } from '../broker/support.ts';
import { tempDir } from '../support/temp-dir.ts';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const HOST = basic('host', 'host-pw');
const MONITOR = basic('monitor', 'monitor-pw');

test('console tail: the last lines, a cut first line left out, escapes and controls dropped', () => {
  assert.equal(tailLines('a\nb\nc\n', 2, false), ['b', 'c']);
  assert.equal(tailLines('a\r\nb\rc', 5, false), ['a', 'b', 'c']);
  assert.equal(tailLines('ece of a line\nwhole\n', 5, true), ['whole']);
  assert.equal(tailLines('\x1b[32mgreen\x1b[0m \x07bell\tTab\n', 1, false), ['green bell\tTab']);
  assert.equal(tailLines('', 3, false), []);
});

test('/api/me says the role; /api/console/<board> gives the tail to any broker user, and 401/400/404 otherwise', async () => {
  const { path: dir, remove } = await tempDir('deskbox-dash-account-');
  const usersFile = join(dir, 'users.json');
  await saveUsers(usersFile, await testUsers());
  const log = join(dir, 'b01.log');
  // Longer than what is read: only the end comes back, whole lines only.
  await writeFile(log, `${'x'.repeat(TAIL_BYTES)}\n${Array.from({ length: 80 }, (_, i) => `line ${i}`).join('\n')}\n`);
  const dash = await startDashboard({
    host: '127.0.0.1', port: 0, desk: 'd1', broker: { urls: ['ws://127.0.0.1:1/mqtt'] }, boards: ['b01', 'b02'], tags: { b01: ['rack1'] },
    users: dashboardUsers(usersFile, new LoginThrottle({ clock: systemClock() })),
    consoleLog: (b) => ({ b01: log, b02: join(dir, 'none.log') } as Record<string, string>)[b],
    logger: memoryLogger(),
  });
  const get = (path: string, auth?: string) => fetch(`${dash.url}${path}`, { headers: auth ? { authorization: auth } : {} });
  try {
    const config = await (await get('config.json')).json();
    assert.equal([config.account, config.consoles, config.tags], [true, true, { b01: ['rack1'] }]);

    assert.equal(await (await get('api/me', HOST)).json(), { username: 'host', role: 'host', may: { command: true, flash: false } });
    assert.equal(await (await get('api/me', MONITOR)).json(), { username: 'monitor', role: 'monitor', may: { command: false, flash: false } });
    const anonymous = await get('api/me');
    assert.is(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.is((await get('api/me', basic('host', 'wrong'))).status, 401);
    assert.is((await fetch(`${dash.url}api/me`, { method: 'POST', headers: { authorization: HOST } })).status, 405);

    const tail = await (await get('api/console/b01?lines=3', MONITOR)).json();
    assert.equal(tail, { board: 'b01', lines: ['line 77', 'line 78', 'line 79'] });
    assert.is((await (await get('api/console/b01', HOST)).json()).lines.length, 50);
    assert.equal(await (await get('api/console/b02', HOST)).json(), { board: 'b02', lines: [] }, 'no log yet: nothing printed yet');
    assert.is((await get('api/console/b01')).status, 401);
    assert.is((await get('api/console/b01?lines=0', HOST)).status, 400);
    assert.is((await get('api/console/b01?lines=9999', HOST)).status, 400);
    assert.is((await get('api/console/..%2Fusers', HOST)).status, 400);
    const unknown = await get('api/console/b09', HOST);
    assert.is(unknown.status, 404);
    assert.match((await unknown.json()).error, /cannot read b09's console/);
  } finally {
    await dash.close();
    await remove();
  }
});

test('without the broker\'s users file (a real desk) the page is told, and the API is not there', async () => {
  const dash = await startDashboard({ host: '127.0.0.1', port: 0, desk: 'd1', broker: { urls: ['ws://127.0.0.1:1/mqtt'] }, logger: memoryLogger() });
  try {
    const config = await (await fetch(`${dash.url}config.json`)).json();
    assert.equal([config.account, config.consoles, config.tags], [false, false, {}]);
    assert.is((await fetch(`${dash.url}api/me`, { headers: { authorization: HOST } })).status, 404);
  } finally {
    await dash.close();
  }
});

test.run();
