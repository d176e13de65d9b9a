/**
 * The dashboard's flash API without a desk or a browser: a real dashboard server with a flash
 * runner the test drives, a users file written here, and plain fetch. Then the child runner
 * against a stand-in for `deskbox flash`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { memoryLogger } from '../../platform/log.ts';
import { systemClock } from '../../platform/clock.ts';
import { LoginThrottle } from '../../broker/login-throttle.ts';
import { newUser, saveUsers } from '../../broker/users.ts';
import { dashboardUsers, parseBasicAuth } from '../../host/dashboard/basic-auth.ts';
import { createFlashApi } from '../../host/dashboard/flash-api.ts';
import { createFlashJobs, type FlashRun } from '../../host/dashboard/flash-jobs.ts';
import { childFlashRunner } from '../../host/dashboard/flash-child.ts';
import { startDashboard } from '../../host/dashboard/server.ts';
import { CHEAP_SCRYPT, testUsers } from '../broker/support.ts';
import { tempDir } from '../support/temp-dir.ts';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const HOST = basic('host', 'host-pw');
const MONITOR = basic('monitor', 'monitor-pw');

test('Basic credentials: user and password (which may hold a colon), or nothing', () => {
  assert.equal(parseBasicAuth(basic('host', 'a:b é')), { username: 'host', password: 'a:b é' });
  assert.equal(parseBasicAuth(`basic  ${Buffer.from('m:').toString('base64')}`), { username: 'm', password: '' });
  for (const bad of [undefined, '', 'Bearer abc', 'Basic', 'Basic !!!', basic('', 'pw'), `Basic ${Buffer.from('nocolon').toString('base64')}`]) {
    assert.is(parseBasicAuth(bad), undefined, String(bad));
  }
});

test('POST /api/flash: 401, 403 for a monitor, 400 and 415 and 413, 202, 409 while one runs; GET a job', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-dash-flash-');
  const usersFile = join(dir, 'users.json');
  const store = await testUsers();
  await saveUsers(usersFile, store);
  const runs: { boards: string[]; signal: AbortSignal; finish(r: FlashRun): void }[] = [];
  const jobs = createFlashJobs((boards, signal) => new Promise((finish) => runs.push({ boards, signal, finish })), memoryLogger());
  const flash = createFlashApi({ users: dashboardUsers(usersFile, new LoginThrottle({ clock: systemClock() })), boards: ['b01', 'b02', 'b03'], jobs, logger: memoryLogger() });
  const dash = await startDashboard({ host: '127.0.0.1', port: 0, desk: 'd1', broker: { urls: ['ws://127.0.0.1:1/mqtt'] }, flash, logger: memoryLogger() });
  const post = (auth: string | undefined, body: unknown, type = 'application/json') => fetch(`${dash.url}api/flash`, {
    method: 'POST', headers: { ...(auth ? { authorization: auth } : {}), 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const get = (id: string, auth?: string) => fetch(`${dash.url}api/flash/${id}`, { headers: auth ? { authorization: auth } : {} });
  try {
    assert.is((await (await fetch(`${dash.url}config.json`)).json()).flash, true);

    const anonymous = await post(undefined, { boards: ['b01'] });
    assert.is(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.is((await post(basic('host', 'wrong'), { boards: ['b01'] })).status, 401);
    assert.is((await post(basic('nobody', 'x'), { boards: ['b01'] })).status, 401);
    const monitor = await post(MONITOR, { boards: ['b01'] });
    assert.is(monitor.status, 403);
    assert.equal(await monitor.json(), { error: 'user "monitor" may not flash boards: only the host role may' });

    for (const [body, re] of [
      ['{"boards": [', /not JSON/], [{ boards: [] }, /at least one board/], [{ boards: ['b01', 'b09'] }, /not boards of this desk: b09/],
      [{ boards: ['../x'] }, /not a board id/], [{ boards: ['b01'], image: '/etc/passwd' }, /invalid request/], [['b01'], /invalid request/],
    ] as const) {
      const res = await post(HOST, body);
      assert.is(res.status, 400, JSON.stringify(body));
      assert.match((await res.json()).error, re);
    }
    assert.is((await post(HOST, 'boards=b01', 'application/x-www-form-urlencoded')).status, 415);
    assert.is((await post(HOST, { boards: Array(20_000).fill('b01') })).status, 413);
    assert.is(runs.length, 0, 'nothing refused reached the runner');

    const started = await post(HOST, { boards: ['b02', 'b01', 'b02'] });
    assert.is(started.status, 202);
    const { id } = await started.json();
    assert.is(started.headers.get('location'), `/api/flash/${id}`);
    assert.equal(runs[0]!.boards, ['b02', 'b01']);
    const busy = await post(HOST, { boards: ['b03'] });
    assert.is(busy.status, 409);
    assert.match((await busy.json()).error, /still running: one at a time/);

    assert.is((await get(id)).status, 401, 'reading a job takes a login too');
    const running = await (await get(id, MONITOR)).json();
    assert.is(running.state, 'running');
    assert.is(running.by, 'host');
    assert.is((await get('nope', MONITOR)).status, 404);

    runs[0]!.finish({ results: [{ board: 'b02', ok: true, method: 'agent' }, { board: 'b01', ok: false, error: { code: 'timeout', phase: 'health', message: 'not back' } }] });
    await new Promise((r) => setImmediate(r));
    const ended = await (await get(id, HOST)).json();
    assert.is(ended.state, 'failed', 'one board failed');
    assert.is(ended.results.length, 2);
    assert.type(ended.endedAt, 'number');

    // The users file is read per request: a user added now may flash at once.
    store.put(await newUser({ role: 'host', username: 'ops' }, 'ops-pw', CHEAP_SCRYPT));
    await saveUsers(usersFile, store);
    const second = await post(basic('ops', 'ops-pw'), { boards: ['b03'] });
    assert.is(second.status, 202);
    runs[1]!.finish({ results: [{ board: 'b03', ok: true }] });
    await new Promise((r) => setImmediate(r));
    assert.is((await (await get((await second.json()).id, HOST)).json()).state, 'done');

    // Closing the dashboard stops the job that runs.
    const third = await (await post(HOST, { boards: ['b01'] })).json();
    const closing = dash.close();
    assert.ok(runs[2]!.signal.aborted);
    runs[2]!.finish({ results: [], error: 'stopped' });
    await closing;
    assert.is(jobs.get(third.id)!.state, 'failed');
  } finally {
    await dash.close();
    await removeDir();
  }
});

test('flash jobs: a runner that throws fails the job; only the last few finished jobs are kept', async () => {
  const jobs = createFlashJobs(async (boards) => {
    if (boards[0] === 'boom') throw new Error('no console');
    return { results: boards.map((board) => ({ board, ok: true })) };
  }, memoryLogger(), 2);
  const boom = jobs.start(['boom'], 'host');
  await new Promise((r) => setImmediate(r));
  assert.equal([jobs.get(boom.id)!.state, jobs.get(boom.id)!.error], ['failed', 'no console']);
  const ids = [];
  for (const b of ['b01', 'b02']) {
    ids.push(jobs.start([b], 'host').id);
    await new Promise((r) => setImmediate(r));
  }
  assert.is(jobs.get(boom.id), undefined, 'the oldest is forgotten');
  assert.equal(ids.map((id) => jobs.get(id)!.state), ['done', 'done']);
});

test('the child runner: reads deskbox flash --json, says why a child failed, kills it on abort', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-dash-child-');
  // Stands in for deskbox: answers per --boards, fails or hangs on request.
  const cli = join(dir, 'fake-deskbox.mjs');
  await writeFile(cli, `
    const args = process.argv.slice(2);
    const boards = args[args.indexOf('--boards') + 1].split(',');
    if (boards[0] === 'crash') { process.stderr.write('deskbox: exploded'); process.exit(3); }
    if (boards[0] === 'hang') setInterval(() => {}, 1000);
    else if (boards[0] === 'nope') console.log(JSON.stringify({ ok: false, error: 'refusing to flash a damaged image' }));
    else console.log(JSON.stringify({ ok: true, image: args[args.indexOf('--image') + 1], results: boards.map((label) => ({ label, port: 'p', ok: true, method: 'agent', imageBytes: 1, wireBytes: 1, attempts: 1, ms: 2 })) }));
  `);
  try {
    const run = childFlashRunner({ cli, state: dir, image: join(dir, 'board.dbi'), logger: memoryLogger() });
    const never = new AbortController().signal;
    assert.equal(await run(['b01', 'b02'], never), { results: ['b01', 'b02'].map((board) => ({ board, ok: true, method: 'agent', attempts: 1, ms: 2 })) });
    assert.equal(await run(['nope'], never), { results: [], error: 'refusing to flash a damaged image' });
    assert.equal(await run(['crash'], never), { results: [], error: 'deskbox flash exited with code 3 without a result: deskbox: exploded' });
    const stop = new AbortController();
    const hanging = run(['hang'], stop.signal);
    stop.abort();
    assert.equal(await hanging, { results: [], error: 'stopped: the dashboard closed' });
  } finally {
    await removeDir();
  }
});

test('a password guesser on the flash API is held back as at the broker; another user still logs in at once', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-dash-guess-');
  const usersFile = join(dir, 'users.json');
  await saveUsers(usersFile, await testUsers());
  const jobs = createFlashJobs(() => new Promise(() => {}), memoryLogger());
  const flash = createFlashApi({ users: dashboardUsers(usersFile, new LoginThrottle({ clock: systemClock() })), boards: ['b01'], jobs, logger: memoryLogger() });
  const dash = await startDashboard({ host: '127.0.0.1', port: 0, desk: 'd1', broker: { urls: ['ws://127.0.0.1:1/mqtt'] }, flash, logger: memoryLogger() });
  // From the guessers' address, or another one (loopback is all of 127/8).
  const read = (auth: string, localAddress = '127.0.0.2') => new Promise<{ status: number; headers: { get(name: string): string | null } }>((resolve, reject) => {
    const req = request(`${dash.url}api/flash/nojob`, { headers: { authorization: auth }, localAddress }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, headers: { get: (name) => (res.headers[name] as string | undefined) ?? null } });
    });
    req.on('error', reject).end();
  });
  try {
    // One guess at a time: three free failures (typos), then each answer waits out the backoff.
    const t0 = performance.now();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await read(basic('host', `guess-${i}`))).status);
    const sequential = performance.now() - t0;
    assert.equal(statuses, [401, 401, 401, 401, 401, 401]);
    assert.ok(sequential >= 2000, `6 guesses took ${sequential.toFixed(0)} ms: answers past the free ones are held back`);
    // Guesses in parallel while held back are refused unchecked, the right password too.
    const burst = await Promise.all([...Array.from({ length: 7 }, (_, i) => read(basic('host', `burst-${i}`))), read(HOST)]);
    const refused = burst.filter((r) => r.status === 429);
    assert.ok(refused.length >= 6, `refused unchecked: ${burst.map((r) => r.status).join(',')}`);
    assert.ok(refused.every((r) => Number(r.headers.get('retry-after')) >= 1));
    assert.is(burst.at(-1)!.status, 429, 'while held back even the right password waits');
    const t1 = performance.now();
    assert.is((await read(MONITOR, '127.0.0.3')).status, 404, 'another user from another address logs in at once (and finds no such job)');
    assert.ok(performance.now() - t1 < 1000);
  } finally {
    await dash.close();
    await flash.close();
    await removeDir();
  }
});

test.run();
