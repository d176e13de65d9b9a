/**
 * The dashboard's views for a person at a 6-board desk, in a real headless Chromium against a
 * running simulated desk: the grid does not move when the broker's first figures arrive, the
 * desk's power is plotted, a board's detail view (opened by keyboard and by double click) shows
 * its status, phases, image, tags, power plot and console tail, a reboot of several boards is
 * confirmed first, offline tiles say since when and why, the filter and the grouping by tag,
 * an experiment's first phase reads as starting, and a monitor's greyed-out commands. Each
 * view is left as a screenshot in test-artifacts/dashboard/.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveAccess } from '../../host/client/access.ts';
import { connectToDesk } from '../../host/client/connect.ts';
import { experimentTopic } from '../../broker/contract/experiment.ts';
import { waitFor } from '../support/wait.ts';
import { deskbox, processesMentioning } from '../support/deskbox.ts';
import { Desk } from '../support/desk.ts';
import { openDashboard, screenshot, type DashboardPage } from '../support/dashboard-page.ts';
import type { Page } from 'playwright-core';

const BOARDS = 6;
const WAIT = { timeout: 15_000 };
let desk: Desk;
let dash: DashboardPage | undefined;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-dash-views-');
});

test.after(async () => {
  await dash?.browser.close();
  await desk.close();
});

const password = async (user: 'host' | 'monitor') => (await resolveAccess({ state: desk.state }, user)).password;
const shownTiles = (page: Page) => page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.tile')].filter((t) => !t.hidden).map((t) => t.dataset.board));
const fact = (page: Page, label: string) => page.locator(`#detail-facts dd[data-fact="${label}"]`).textContent();

test('a host at a 6-board desk: layout, plots, details, confirmation, offline reasons, filter, experiment', () => desk.withLogs(async () => {
  const up = await desk.up({ boards: BOARDS, restartDelay: 0, telemetryPeriod: 1, tags: { rack1: 'b01-b03', rack2: 'b04-b06' } });
  // Each frame's grid top and broker figure, from the first frame the desk is shown. A string:
  // tsx wraps a named function in a helper the page does not have.
  const watchLayout = `
    window.layout = [];
    requestAnimationFrame(function look() {
      const desk = document.getElementById('desk');
      if (desk && !desk.hidden) window.layout.push([document.getElementById('grid').getBoundingClientRect().top, document.getElementById('sum-broker').textContent ?? '']);
      requestAnimationFrame(look);
    });`;
  dash = await openDashboard(desk.state, up.dashboard!, 'host', await password('host'), { viewport: { width: 1280, height: 900 }, initScript: watchLayout });
  const { page } = dash;
  await page.waitForFunction((n) => document.querySelectorAll('.tile[data-state="online"]').length === n, BOARDS, WAIT);

  // 8. The broker publishes its figures every 10 s: the grid is where it was before they came.
  await page.waitForFunction(() => document.getElementById('sum-broker')!.textContent !== '-', null, { timeout: 25_000 });
  const layout = await page.evaluate(() => (window as unknown as { layout: [number, string][] }).layout);
  const before = layout.filter(([, text]) => text === '-');
  const after = layout.filter(([, text]) => text !== '-');
  assert.ok(before.length > 0 && after.length > 0, `frames before (${before.length}) and after (${after.length}) the broker's figures`);
  assert.equal([...new Set(layout.map(([top]) => top))], [before[0]![0]], 'the grid\'s top never moved');

  // 2. The desk's power over the last minutes, sampled every 2 s.
  await page.waitForFunction(() => Number(document.querySelector('#desk-plot svg')?.getAttribute('data-points')) >= 2, null, WAIT);
  assert.match(await page.locator('#desk-plot path').getAttribute('d') ?? '', /^M[\d.]+ [\d.]+ L/);
  assert.match(await page.locator('#desk-plot .scale').textContent() ?? '', /^0–\d+(\.\d+)? W, last \d+ (s|min)$/);
  await screenshot(page, 'grid');

  // 1. Details by keyboard: Enter on a tile (Space would select it).
  await page.locator('.tile[data-board="b02"]').focus();
  await page.keyboard.press('Enter');
  const detail = page.locator('dialog#detail[open]');
  await detail.waitFor(WAIT);
  assert.is(await page.locator('#detail-title').textContent(), 'b02');
  assert.is(await fact(page, 'state'), 'online');
  assert.match(await fact(page, 'health') ?? '', /^(healthy since \d\d:\d\d:\d\d: .+|no verdict yet \(taken as healthy\))$/);
  assert.ok((await fact(page, 'agent version') ?? '').length > 0);
  assert.match(await fact(page, 'image') ?? '', /slot [ab]|not booted from an image slot/);
  assert.is(await fact(page, 'tags'), 'rack1');
  assert.match(await fact(page, 'uptime') ?? '', /^\d+ (s|min \d+ s)$/);
  assert.match(await fact(page, 'last seen') ?? '', /^\d\d:\d\d:\d\d \(\d+ s ago\)$/);
  assert.match(await fact(page, 'guests') ?? '', /^\d+ running.*\d+ failed/);
  assert.match(await fact(page, 'power') ?? '', /^\d+\.\d\d W \(/);
  const phases = await page.locator('#detail-phases li').allTextContents();
  assert.ok(phases.some((p) => /^ready at \d\d:\d\d:\d\d \(\+\d+\.\d s\)$/.test(p)), phases.join('; '));
  await page.waitForFunction(() => Number(document.querySelector('#detail-plot svg')?.getAttribute('data-points')) >= 2, null, WAIT);
  await page.waitForFunction(() => !/^reading…$/.test(document.getElementById('detail-console')!.textContent ?? ''), null, WAIT);
  const consoleTail = await page.locator('#detail-console').textContent() ?? '';
  assert.not.match(consoleTail, /cannot be read/);
  assert.ok(consoleTail.length > 0);
  await screenshot(page, 'detail');
  await page.keyboard.press('Escape');
  await page.locator('dialog#detail:not([open])').waitFor({ ...WAIT, state: 'attached' });
  assert.is(await page.locator('.tile[aria-pressed="true"]').count(), 0, 'Enter opened the details without selecting');
  // And by double click, closed by its button.
  await page.locator('.tile[data-board="b05"]').dblclick();
  await detail.waitFor(WAIT);
  assert.is(await fact(page, 'tags'), 'rack2');
  await page.getByRole('button', { name: 'Close' }).click();
  await page.locator('dialog#detail:not([open])').waitFor({ ...WAIT, state: 'attached' });

  // 5. Reboot of two boards: asked first; Cancel sends nothing, Confirm sends it.
  await page.locator('.tile[data-board="b01"]').click();
  await page.locator('.tile[data-board="b02"]').click({ modifiers: ['Shift'] });
  assert.is(await page.locator('#selected-count').textContent(), '2 selected');
  await page.getByRole('button', { name: 'Reboot', exact: true }).click();
  const confirm = page.locator('dialog#confirm[open]');
  await confirm.waitFor(WAIT);
  assert.is(await page.locator('#confirm-title').textContent(), 'Reboot: 2 boards?');
  assert.is(await page.locator('#confirm-boards').textContent(), 'b01, b02');
  await screenshot(page, 'confirm');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('.msg', { hasText: 'reboot of 2 boards cancelled' }).waitFor(WAIT);
  assert.is(await page.locator('.msg').count(), 1, 'nothing was sent');
  // 7. Since when and why: a reboot is the agent's own goodbye.
  await page.evaluate(() => {
    const el = document.querySelector<HTMLElement>('.tile[data-board="b01"]')!;
    new MutationObserver(() => { if (el.dataset.state === 'offline') el.dataset.seenOffline = el.getAttribute('aria-label') ?? ''; }).observe(el, { attributes: true, attributeFilter: ['aria-label'] });
  });
  await page.getByRole('button', { name: 'Reboot', exact: true }).click();
  await confirm.waitFor(WAIT);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('.msg[data-kind="ok"]', { hasText: 'reboot → 2 boards: 2 ok (b01, b02)' }).waitFor(WAIT);
  await page.waitForFunction(() => document.querySelector<HTMLElement>('.tile[data-board="b01"]')?.dataset.seenOffline, null, WAIT);
  assert.match(await page.locator('.tile[data-board="b01"]').getAttribute('data-seen-offline') ?? '', /^b01: offline since \d\d:\d\d:\d\d: shut down by its agent \(reboot or stop\)$/);
  // A board that dies without a goodbye (its boot program and agent killed; the simulated
  // power switch lets the agent shut down): the broker speaks for it with its last will. The
  // desk restarts no crashed board here (--restart-delay 0), so b06 stays offline.
  await page.evaluate(() => {
    const el = document.querySelector<HTMLElement>('.tile[data-board="b06"]')!;
    new MutationObserver(() => {
      if (el.dataset.state === 'offline' && !el.dataset.seenLost) el.dataset.seenLost = JSON.stringify([el.title, ...[...el.querySelectorAll('span')].map((x) => x.textContent)]);
    }).observe(el, { attributes: true, attributeFilter: ['title'] });
  });
  const status = JSON.parse((await deskbox(['desk', 'status', '--state', desk.state, '--json'])).stdout) as { groups: { boards: string[]; processes: { pid: number }[] }[] };
  process.kill(status.groups.find((g) => g.boards.includes('b06'))!.processes[0]!.pid, 'SIGKILL');
  await page.waitForFunction(() => document.querySelector<HTMLElement>('.tile[data-board="b06"]')?.dataset.seenLost, null, WAIT);
  const [title, since, why] = JSON.parse(await page.locator('.tile[data-board="b06"]').getAttribute('data-seen-lost') ?? '[]') as string[];
  assert.match(title ?? '', /^offline since \d\d:\d\d:\d\d: connection lost \(last will: power cut, crash or network\)\n/);
  assert.match(since ?? '', /^since \d\d:\d\d:\d\d$/);
  assert.is(why, 'lost');
  await page.waitForFunction((n) => document.querySelectorAll('.tile[data-state="online"]').length === n, BOARDS - 1, WAIT);

  // 3. Filter and grouping.
  const filter = page.getByLabel('filter boards');
  await filter.fill('offline');
  await waitFor(async () => (await shownTiles(page)).join() === 'b06', { timeoutMs: 15_000, what: 'only b06 shown' });
  await filter.fill('tag:rack1');
  await waitFor(async () => (await shownTiles(page)).join() === 'b01,b02,b03', { timeoutMs: 15_000, what: 'rack1 shown' });
  await filter.fill('b0 -tag:rack1 -offline');
  await waitFor(async () => (await shownTiles(page)).join() === 'b04,b05', { timeoutMs: 15_000, what: 'rack2 online shown' });
  await filter.fill('');
  await page.getByLabel('order boards by').selectOption('tag');
  assert.equal(await page.locator('#grid > *').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.board ?? e.textContent)), ['tag:rack1 · 3', 'b01', 'b02', 'b03', 'tag:rack2 · 3', 'b04', 'b05', 'b06']);
  await page.getByLabel('order boards by').selectOption('state');
  assert.is(await page.locator('.tile').first().getAttribute('data-board'), 'b06', 'trouble first');
  await page.getByLabel('order boards by').selectOption('id');

  // 9. A run's first phase, before it has a total: "starting", never 0/0.
  const host = await connectToDesk(await resolveAccess({ state: desk.state }, 'host'), 'e2e-views');
  try {
    const starting = { v: 1, run: 'r-1', plan: 'soak', state: 'running', phase: 'boot', repetition: 1, repetitions: 1, done: 0, total: 0, boards: BOARDS, startedAt: Date.now(), updatedAt: Date.now() };
    await host.publishAsync(experimentTopic('desk1'), JSON.stringify(starting), { qos: 1, retain: true });
    await page.locator('#exp-text', { hasText: /^soak: boot phase starting on 6 boards, running for \d+ s$/ }).waitFor(WAIT);
    assert.ok(await page.locator('#exp-bar').evaluate((el) => el.matches(':indeterminate')), 'the bar shows work going on');
    await host.publishAsync(experimentTopic('desk1'), '', { qos: 1, retain: true });
  } finally {
    await host.endAsync();
  }
  assert.equal(dash.errors, [], `the page's errors: ${dash.errors.join('; ')}`);
}));

test('a monitor sees the commands greyed out, with why', () => desk.withLogs(async () => {
  const { page } = dash!;
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('username').fill('monitor');
  await page.getByLabel('password').fill(await password('monitor'));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#live[data-state="live"]').waitFor(WAIT);
  await page.waitForFunction(() => ['act-reboot', 'act-start', 'act-stop', 'act-reflash'].every((id) => (document.getElementById(id) as HTMLButtonElement).disabled), null, WAIT);
  assert.match(await page.locator('#act-reboot').getAttribute('title') ?? '', /^user "monitor" has the monitor role, which watches the desk: only the host role may command boards/);
  assert.is(await page.locator('#selected-count').textContent(), '0 selected', 'the host\'s selection went with the host');
  assert.is(await page.locator('#messages .msg').count(), 0, 'and so did its messages');
  // The detail view is for watchers too, console included.
  await page.locator('.tile[data-board="b03"]').dblclick();
  await page.locator('dialog#detail[open]').waitFor(WAIT);
  await page.waitForFunction(() => !/^reading…$/.test(document.getElementById('detail-console')!.textContent ?? ''), null, WAIT);
  assert.not.match(await page.locator('#detail-console').textContent() ?? '', /cannot be read/);
  await page.getByRole('button', { name: 'Close' }).click();
  await page.locator('#act-reboot').hover();
  await screenshot(page, 'monitor-disabled');
  assert.equal(dash!.errors, [], `the page's errors: ${dash!.errors.join('; ')}`);
}));

test('closing everything leaves no process behind', async () => {
  await dash?.browser.close();
  dash = undefined;
  await desk.down();
  assert.equal(await processesMentioning(desk.state), [], 'no agent, socat or chromium left for this desk');
});

test.run();
