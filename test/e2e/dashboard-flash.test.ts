/**
 * Reflash from the dashboard of a simulated desk, in a real headless Chromium: the dashboard
 * server refuses a monitor (to plain HTTP; the page greys Reflash out for it), flashes a board for the host
 * through `deskbox flash` in a child process, and the board comes back running the desk's
 * image. Chromium's profile lives in the state folder, so "nothing left" covers it too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { boardTopic } from '../../broker/contract/topics.ts';
import { resolveAccess } from '../../host/client/access.ts';
import { deskLayout } from '../../host/locations/layout.ts';
import { readImageHead } from '../../images/verify-file.ts';
import { processesMentioning } from '../support/deskbox.ts';
import { Desk } from '../support/desk.ts';
import { findChromium } from '../support/chromium.ts';

const WAIT = { timeout: 15_000 };
let desk: Desk;
let state = '';
let browser: BrowserContext | undefined;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-dash-flash-');
  state = desk.state;
});

test.after(async () => {
  await browser?.close();
  await desk.close();
});

const password = async (user: 'host' | 'monitor') => (await resolveAccess({ state }, user)).password;
const basic = async (user: 'host' | 'monitor') => `Basic ${Buffer.from(`${user}:${await password(user)}`).toString('base64')}`;

/** The board's retained status, as the broker holds it now. */
async function statusOf(board: string): Promise<{ state: string; bootedAt: number; image?: { sha256: string; version: string } }> {
  const access = await resolveAccess({ state }, 'monitor');
  const client = await mqtt.connectAsync(access.url, { ca: await readFile(access.caFile!), username: access.username, password: access.password, protocolVersion: 4, reconnectPeriod: 0 });
  try {
    const topic = boardTopic(access.desk, board, 'status');
    const message = new Promise<Buffer>((resolve) => client.on('message', (t, payload) => { if (t === topic) resolve(payload); }));
    await client.subscribeAsync(topic, { qos: 1 });
    return JSON.parse((await message).toString());
  } finally {
    await client.endAsync();
  }
}

async function logIn(page: Page, user: 'host' | 'monitor'): Promise<void> {
  await page.getByLabel('username').fill(user);
  await page.getByLabel('password').fill(await password(user));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#live[data-state="live"]').waitFor(WAIT);
}

test('Reflash: refused for a monitor (not offered on its page), done for the host, and the board runs the desk image again', () => desk.withLogs(async () => {
  const up = await desk.up({ boards: 2, baud: 3_000_000, latency: 1 });
  const url = up.dashboard!;
  assert.is((await (await fetch(`${url}config.json`)).json()).flash, true);

  // The server checks the role itself: plain HTTP gets the same answers as the page.
  const post = async (headers: Record<string, string>) => fetch(`${url}api/flash`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ boards: ['b01'] }) });
  assert.is((await post({})).status, 401);
  const refused = await post({ authorization: await basic('monitor') });
  assert.is(refused.status, 403);
  assert.equal(await refused.json(), { error: 'user "monitor" may not flash boards: only the host role may' });

  browser = await chromium.launchPersistentContext(join(state, 'chromium'), { executablePath: findChromium(), args: ['--headless', '--no-sandbox'] });
  const page = browser.pages()[0] ?? await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.accept(); });
  await page.goto(url);

  await logIn(page, 'monitor');
  await page.waitForFunction(() => document.querySelectorAll('.tile[data-state="online"]').length === 2, null, WAIT);
  const before = await statusOf('b01');
  // The page asks the server what the monitor may do, and offers no Reflash (the 403 above stays the guarantee).
  await page.waitForFunction(() => (document.getElementById('act-reflash') as HTMLButtonElement).disabled, null, WAIT);
  assert.match(await page.getByRole('button', { name: 'Reflash', exact: true }).getAttribute('title') ?? '', /"monitor" has the monitor role/);

  await page.getByRole('button', { name: 'Log out' }).click();
  await logIn(page, 'host');
  await page.waitForFunction(() => !(document.getElementById('act-reflash') as HTMLButtonElement).disabled, null, WAIT);
  await page.locator('.tile[data-board="b01"]').click();
  await page.getByRole('button', { name: 'Reflash', exact: true }).click();
  await page.locator('.msg[data-kind="pending"]', { hasText: /flashing 1 board…/ }).waitFor(WAIT);
  assert.equal(dialogs, ['Reflash 1 board with the desk\'s board image?']);
  await page.locator('.msg[data-kind="ok"]', { hasText: 'reflash → 1 board: 1 ok (b01)' }).waitFor({ timeout: 60_000 });

  const after = await statusOf('b01');
  const { manifest } = await readImageHead(deskLayout(state).boardImage);
  assert.is(after.state, 'online');
  assert.ok(after.bootedAt > before.bootedAt, `b01 booted again (${before.bootedAt} → ${after.bootedAt})`);
  assert.equal([after.image?.sha256, after.image?.version], [manifest.payload.sha256, manifest.version]);
  await page.locator('.tile[data-board="b01"][data-state="online"]').waitFor(WAIT);
  assert.equal(pageErrors, []);
}));

test('desk down leaves no process behind', async () => {
  await browser?.close();
  browser = undefined;
  await desk.down();
  assert.equal(await processesMentioning(state), [], 'no agent, socat, flash child or chromium left for this desk');
});

test.run();
