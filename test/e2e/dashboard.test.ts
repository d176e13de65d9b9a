/**
 * The dashboard in a real headless Chromium against a running simulated desk: the grid shows
 * every board, a board switched off turns offline on the page, a monitor sees the commands
 * greyed out and a command it sends anyway is refused by the broker (the board keeps running),
 * logging out forgets the selection and the messages, a host's reboot goes through, and 490
 * boards fit on the page and filter without a tile rebuilt; boards the desk's health service takes out of service are marked on
 * their tiles, counted in the header and filtered on request. Chromium's profile lives in the desk's state folder, so "nothing
 * left that mentions the folder" covers the browser too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { memoryLogger } from '../../platform/log.ts';
import { resolveAccess } from '../../host/client/access.ts';
import { connectToDesk } from '../../host/client/connect.ts';
import { experimentTopic } from '../../broker/contract/experiment.ts';
import { verdictTopic, type BoardVerdict } from '../../broker/contract/health.ts';
import { startDashboard, type Dashboard } from '../../host/dashboard/server.ts';
import { waitFor } from '../support/wait.ts';
import { deskbox, processesMentioning } from '../support/deskbox.ts';
import { Desk } from '../support/desk.ts';
import { findChromium } from '../support/chromium.ts';
import { screenshot } from '../support/dashboard-page.ts';

const BOARDS = 6;
const WAIT = { timeout: 15_000 };
let desk: Desk;
let state = '';
let dashboard: Dashboard | undefined;
let browser: BrowserContext | undefined;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-dash-');
  state = desk.state;
});

test.after(async () => {
  await browser?.close();
  await dashboard?.close();
  await desk.close();
});

const tile = (page: Page, board: string) => page.getByRole('button', { name: new RegExp(`^${board}: `) });
const tileIs = (page: Page, board: string, state: string) => page.locator(`.tile[data-board="${board}"][data-state="${state}"]`).waitFor(WAIT);
/** The pid of the agent process hosting `board` (one board per process on this desk). */
const agentPid = async (board: string): Promise<number | undefined> => {
  const status = JSON.parse((await deskbox(['desk', 'status', '--state', state, '--json'])).stdout) as { groups: { boards: string[]; processes: { pid: number }[] }[] };
  return status.groups.find((g) => g.boards.includes(board))?.processes[0]?.pid;
};

async function logIn(page: Page, username: string): Promise<void> {
  await page.getByLabel('username').fill(username);
  await page.getByLabel('password').fill((await resolveAccess({ state }, username as 'host' | 'monitor')).password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#live[data-state="live"]').waitFor(WAIT);
}

test('the grid follows the desk; a monitor is offered no command and the broker refuses one sent anyway; a host\'s reboot goes through', () => desk.withLogs(async () => {
  const up = await desk.up({ boards: BOARDS, restartDelay: 0 });
  // desk up serves the dashboard (and its /metrics) from the desk's supervisor.
  const url = up.dashboard!;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  await waitFor(async () => /deskbox_boards\{state="online"\} 6/.test(await (await fetch(`${url}metrics`)).text()), { timeoutMs: 15_000, what: '/metrics to count 6 boards online' });
  browser = await chromium.launchPersistentContext(join(state, 'chromium'), { executablePath: findChromium(), args: ['--headless', '--no-sandbox'] });
  const page = browser.pages()[0] ?? await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);

  await logIn(page, 'monitor');
  await page.waitForFunction((n) => document.querySelectorAll('.tile[data-state="online"]').length === n, BOARDS, WAIT);
  assert.is(await page.locator('.tile').count(), BOARDS);
  assert.is(await page.getByLabel('boards online').textContent(), `${BOARDS}/${BOARDS}`);

  await deskbox(['desk', 'power', 'b03', 'off', '--state', state]);
  await tileIs(page, 'b03', 'offline');
  assert.is(await page.getByLabel('boards online').textContent(), `${BOARDS - 1}/${BOARDS}`);

  // The page greys out what a monitor may not do, and says why; nothing is sent.
  const b01Pid = await agentPid('b01');
  await tile(page, 'b01').click();
  for (const name of ['Reboot', 'Start guests', 'Stop guests', 'Reflash']) {
    const button = page.getByRole('button', { name, exact: true });
    await page.waitForFunction((n) => [...document.querySelectorAll('button')].some((b) => b.textContent === n && b.disabled), name, WAIT);
    assert.match(await button.getAttribute('title') ?? '', /^user "monitor" has the monitor role, which watches the desk: only the host role may command boards/);
  }
  // The broker is still what says no: a monitor's command sent straight to it is refused.
  const monitorAccess = await resolveAccess({ state }, 'monitor');
  const direct = await mqtt.connectAsync(monitorAccess.url, { ca: await readFile(monitorAccess.caFile!), username: monitorAccess.username, password: monitorAccess.password, protocolVersion: 4, reconnectPeriod: 0 });
  try {
    const closed = new Promise<void>((resolve) => direct.once('close', () => resolve()));
    direct.publish('deskbox/desk1/boards/b01/cmd', JSON.stringify({ v: 1, id: 'e2e-monitor', op: 'reboot' }), { qos: 1 });
    await closed;
  } finally {
    await direct.endAsync(true);
  }
  assert.match(await readFile(join(state, 'logs', 'broker.log'), 'utf8'), /publish denied .*"username":"monitor","topic":"deskbox\/desk1\/boards\/b01\/cmd"/);
  assert.is(await page.locator('.tile').count(), BOARDS, 'the grid stays');

  // Logging out forgets the selection and the messages: the next user acts on nothing of the last one's.
  await page.getByRole('button', { name: 'Log out' }).click();
  await logIn(page, 'host');
  assert.is(await page.locator('#selected-count').textContent(), '0 selected');
  assert.is(await page.locator('.tile[aria-pressed="true"]').count(), 0);
  assert.is(await page.locator('#messages .msg').count(), 0);
  await page.waitForFunction(() => !(document.getElementById('act-reboot') as HTMLButtonElement).disabled, null, WAIT);
  await tile(page, 'b02').click();
  const b02Pid = await agentPid('b02');
  // Every state the tile is drawn in, so the test sees it go down and come back however fast.
  await page.evaluate(() => {
    const el = document.querySelector<HTMLElement>('.tile[data-board="b02"]')!;
    new MutationObserver(() => { el.dataset.seen = `${el.dataset.seen ?? ''} ${el.dataset.state}`; }).observe(el, { attributeFilter: ['data-state'] });
  });
  await page.getByRole('button', { name: 'Reboot', exact: true }).click();
  await page.locator('.msg[data-kind="ok"]', { hasText: 'reboot → 1 board: 1 ok (b02)' }).waitFor(WAIT);
  await page.waitForFunction(() => / offline( \S+)* online$/.test(document.querySelector('.tile[data-board="b02"]')?.getAttribute('data-seen') ?? ''), null, WAIT);
  const rebooted = await agentPid('b02');
  assert.ok(rebooted !== undefined && rebooted !== b02Pid, `b02 runs a new agent after its reboot (was ${b02Pid}, now ${rebooted})`);
  // b02 went down and up again since the monitor's refused command: b01 would have long rebooted by now.
  assert.is(await agentPid('b01'), b01Pid, 'b01 did not reboot');

  // A runner killed while its will was lost leaves `running` retained: the page and /metrics tell it is stale.
  const host = await connectToDesk(await resolveAccess({ state }, 'host'), 'e2e-stale');
  try {
    const stale = { v: 1, run: 'r-stale', plan: 'gone', state: 'running', phase: 'hold', repetition: 1, repetitions: 1, done: 3, total: 60, boards: 6, startedAt: Date.now() - 90_000, updatedAt: Date.now() - 60_000 };
    await host.publishAsync(experimentTopic('desk1'), JSON.stringify(stale), { qos: 1, retain: true });
    await page.locator('.experiment[data-state="stale"]').waitFor(WAIT);
    assert.match(await page.locator('#exp-text').textContent() ?? '', /^gone: its runner went silent \d+ s ago/);
    await waitFor(async () => /deskbox_experiment_info\{run="r-stale",plan="gone",phase="hold",state="stale"\} 1/.test(await (await fetch(`${url}metrics`)).text()), { timeoutMs: 15_000, what: '/metrics to call the experiment stale' });
    await host.publishAsync(experimentTopic('desk1'), '', { qos: 1, retain: true });
  } finally {
    await host.endAsync();
  }
  assert.equal(pageErrors, []);
}));

test('boards out of service: a quarantined and a retired board are marked, counted and filtered', () => desk.withLogs(async () => {
  const page = browser!.pages()[0]!;
  await page.locator('#live[data-state="live"]').waitFor(WAIT);
  // Every board the service heard has a verdict already: healthy, not nothing.
  await page.waitForFunction(() => document.querySelectorAll('.tile[data-health="healthy"]').length >= 4, null, WAIT);
  assert.is(await page.getByLabel('boards out of service').textContent(), '0');

  // Retired through the desk's own health service, as a person does it.
  const retired = await deskbox(['health', 'retire', 'b05', '--state', state]);
  assert.match(retired.stdout, /^b05: retired: retired by host@/);
  // The service recovers a quarantined board at once (it turns `recovering`), so a steady
  // quarantine is published as the service publishes one: retained, on the verdict topic.
  const host = await connectToDesk(await resolveAccess({ state }, 'host'), 'e2e-verdict');
  const quarantined: BoardVerdict = { v: 1, board: 'b04', state: 'quarantined', since: Date.now(), reason: '2 failed self-checks in a row' };
  try {
    await host.publishAsync(verdictTopic('desk1', 'b04'), JSON.stringify(quarantined), { qos: 1, retain: true });
  } finally {
    await host.endAsync();
  }
  const b04 = page.locator('.tile[data-board="b04"][data-health="quarantined"][data-out]');
  await b04.waitFor(WAIT);
  await page.locator('.tile[data-board="b05"][data-health="retired"][data-out]').waitFor(WAIT);
  assert.is(await b04.locator('i').textContent(), 'quarantined');
  assert.match(await b04.getAttribute('title') ?? '', /^quarantined since .+: 2 failed self-checks in a row$/);
  assert.match(await b04.getAttribute('aria-label') ?? '', /, quarantined: 2 failed self-checks in a row$/);
  assert.is(await page.getByLabel('boards out of service').textContent(), '2');
  assert.match(await page.locator('.summary .out').getAttribute('title') ?? '', /^b04 quarantined: 2 failed self-checks in a row\nb05 retired: retired by /);
  // The stripes are drawn: a quarantined tile's background differs from a healthy one's.
  const background = (board: string) => page.locator(`.tile[data-board="${board}"]`).evaluate((el) => getComputedStyle(el).backgroundImage);
  assert.match(await background('b04'), /repeating-linear-gradient/);
  assert.is(await background('b01'), 'none');

  await page.getByLabel('out of service only').check();
  await page.waitForFunction(() => [...document.querySelectorAll('.tile')].filter((t) => (t as HTMLElement).offsetParent !== null).map((t) => (t as HTMLElement).dataset.board).join() === 'b04,b05', null, WAIT);
  await page.getByLabel('out of service only').uncheck();

  await deskbox(['health', 'admit', 'b05', '--state', state]);
  await page.locator('.tile[data-board="b05"][data-health="healthy"]:not([data-out])').waitFor(WAIT);
  assert.is(await page.getByLabel('boards out of service').textContent(), '1');
}));

test('490 boards: the page draws every tile, and the filter shows the ones asked for without rebuilding any', () => desk.withLogs(async () => {
  const host = await resolveAccess({ state }, 'host');
  const client = await mqtt.connectAsync(host.url, { ca: await readFile(host.caFile!), username: host.username, password: host.password, protocolVersion: 4, reconnectPeriod: 0 });
  const ids = Array.from({ length: 490 }, (_, i) => `b${String(i + 1).padStart(3, '0')}`);
  // Every third board in rack1, the rest in rack2; the last ten offline.
  const rack = (i: number) => (i % 3 === 0 ? 'rack1' : 'rack2');
  const status = (board: string, i: number) => JSON.stringify(i >= 480
    ? { v: 1, state: 'offline', board, reason: 'lastwill' }
    : { v: 1, state: 'online', board, version: 'x', bootedAt: 1, uptimeS: 1, keepaliveS: 10, phases: [{ phase: 'ready', at: 1 }], tags: [rack(i)] });
  try {
    await Promise.all(ids.map((b, i) => client.publishAsync(`deskbox/many/boards/${b}/status`, status(b, i), { qos: 1, retain: true })));
  } finally {
    await client.endAsync();
  }
  const many = await startDashboard({ host: '127.0.0.1', port: 0, desk: 'many', broker: { urls: [desk.last!.broker.ws!] }, logger: memoryLogger('dashboard') });
  try {
    const page = await browser!.newPage();
    await page.goto(many.url);
    await logIn(page, 'monitor');
    // Every tile drawn, the ten offline ones too, before the grid is watched for changes.
    await page.waitForFunction(() => document.querySelectorAll('.tile[data-state="online"]').length === 480 && document.querySelectorAll('.tile[data-state="offline"]').length === 10, null, WAIT);
    assert.is(await page.getByLabel('boards online').textContent(), '480/490');

    // The filter only toggles tiles' visibility: typing moves, adds or removes no node of the grid.
    await page.evaluate(() => {
      const w = window as unknown as { gridMutations: number };
      w.gridMutations = 0;
      new MutationObserver((records) => { w.gridMutations += records.length; }).observe(document.getElementById('grid')!, { childList: true });
    });
    const visible = () => page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.tile')].filter((t) => !t.hidden).map((t) => t.dataset.board));
    const filter = page.getByLabel('filter boards');
    await filter.pressSequentially('tag:rack1 b4');
    const rack1b4 = ids.filter((b, i) => rack(i) === 'rack1' && b.startsWith('b4') && i < 480);
    await page.waitForFunction((n) => document.querySelectorAll('.tile:not([hidden])').length === n, rack1b4.length, WAIT);
    assert.equal(await visible(), rack1b4);
    assert.is(await page.locator('#shown-count').textContent(), `${rack1b4.length} of 490 shown`);
    await screenshot(page, 'filter-490');
    await filter.fill('offline');
    await page.waitForFunction(() => document.querySelectorAll('.tile:not([hidden])').length === 10, null, WAIT);
    assert.equal(await visible(), ids.slice(480));
    await filter.fill('-offline -tag:rack1');
    await page.waitForFunction((n) => document.querySelectorAll('.tile:not([hidden])').length === n, ids.filter((_, i) => i < 480 && rack(i) === 'rack2').length, WAIT);
    await filter.fill('state:asleep');
    await page.locator('#filter-problem', { hasText: '"state:asleep": states are online' }).waitFor(WAIT);
    await filter.fill('');
    await page.waitForFunction(() => document.querySelectorAll('.tile:not([hidden])').length === 490, null, WAIT);
    assert.is(await page.evaluate(() => (window as unknown as { gridMutations: number }).gridMutations), 0, 'no tile was rebuilt or moved while filtering');
    // Select all takes what the filter shows.
    await filter.fill('offline');
    await page.waitForFunction(() => document.querySelectorAll('.tile:not([hidden])').length === 10, null, WAIT);
    await page.getByRole('button', { name: 'Select all' }).click();
    assert.is(await page.locator('#selected-count').textContent(), '10 selected');
    await page.close();
  } finally {
    await many.close();
  }
}));

test('closing everything leaves no process behind', async () => {
  await browser?.close();
  browser = undefined;
  await dashboard?.close();
  dashboard = undefined;
  await desk.down();
  assert.equal(await processesMentioning(state), [], 'no agent, socat or chromium left for this desk');
});

test.run();
