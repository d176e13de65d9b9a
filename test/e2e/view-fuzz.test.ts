/**
 * Hostile messages on the board topics of a running desk leave all four views right: `boards`,
 * `monitor`, /metrics and the dashboard in Chromium. A seeded corpus (test/support/view-fuzz-
 * corpus.ts) goes out as the host role on three live boards and as the fourth board itself,
 * switched off meanwhile; the broker refuses what its ACLs and size limit forbid. Then, after
 * one good status per board and the boards' own next samples, every view shows every board
 * online with its version and its own latest power, and an empty retained telemetry clears a
 * board's power and nothing else. The counts are printed for RELIABILITY.md.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { allBoardsFilter, boardClientId, boardTopic } from '../../broker/contract/topics.ts';
import { resolveAccess } from '../../host/client/access.ts';
import { createRequester } from '../../host/client/request.ts';
import { deskLayout } from '../../host/locations/layout.ts';
import { waitFor } from '../support/wait.ts';
import { deskbox, processesMentioning } from '../support/deskbox.ts';
import { Desk } from '../support/desk.ts';
import { corpusKinds, fuzzCorpus, type FuzzBoard, type FuzzMessage } from '../support/view-fuzz-corpus.ts';
import { boardsView, dashboardView, metricsView, monitorView, untilViews, type Expect, type FourViews, type ShownBoard, type ViewName } from '../support/four-views.ts';
import { watchOwnMessages } from '../support/own-messages.ts';
import { publishAll, refusedPublish } from '../support/fuzz-publish.ts';
import { startMonitor, type MonitorProcess } from '../support/monitor-process.ts';
import { openDashboard, type DashboardPage } from '../support/dashboard-page.ts';

const BOARDS = ['b01', 'b02', 'b03', 'b04'];
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const COUNT = Number(process.env.FUZZ_COUNT ?? 600);
let desk: Desk;
let monitor: MonitorProcess | undefined;
let dash: DashboardPage | undefined;
const clients: MqttClient[] = [];

test.before(async () => { desk = await Desk.create('deskbox-e2e-fuzz-'); });
test.after(async () => {
  monitor?.kill();
  await dash?.browser.close();
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await desk.close();
});

test('hostile messages on board topics leave boards, monitor, /metrics and the dashboard right', () => desk.withLogs(async () => {
  const state = desk.state;
  const up = await desk.up({ boards: BOARDS.length, telemetryPeriod: 1 });
  const [hostAccess, monitorAccess] = [await resolveAccess({ state }, 'host'), await resolveAccess({ state }, 'monitor')];
  // A loopback desk keeps its plain listener, for stock tools such as this raw publisher.
  const plainUrl = up.broker.url;
  assert.ok(plainUrl, 'a loopback desk has a plain listener');
  const login = async (a: { username: string; password: string }, extra: mqtt.IClientOptions = {}) => {
    const c = await mqtt.connectAsync(plainUrl, { username: a.username, password: a.password, protocolVersion: 4, reconnectPeriod: 0, ...extra });
    clients.push(c);
    return c;
  };
  const watcher = await login(monitorAccess);
  const own = watchOwnMessages(watcher, up.desk);
  await watcher.subscribeAsync([allBoardsFilter(up.desk, 'status'), allBoardsFilter(up.desk, 'telemetry')], { qos: 1 });

  monitor = startMonitor(state);
  dash = await openDashboard(state, up.dashboard!, 'monitor', monitorAccess.password);

  const read = async (): Promise<FourViews> => ({
    boards: await boardsView(state), monitor: monitorView(monitor!.stdout()), metrics: await metricsView(`${up.dashboard}metrics`), dashboard: await dashboardView(dash!.page),
  });
  const allViews = (what: string, expect: Expect, timeoutMs?: number) => untilViews(read, what, expect, timeoutMs)
    .catch((err: Error) => { throw new Error(`${err.message}\nmonitor stderr: ${monitor!.stderr()}`); });
  const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const onlineWithOwnPower = (since: () => number): Expect => new Map(BOARDS.map((board) => [board, (b: ShownBoard, v: ViewName) => {
    if (b.state !== 'online') return `state ${b.state}`;
    if ((v === 'boards' || v === 'monitor') && b.version !== version) return `version ${b.version}`;
    const recent = own.samplesSince(board, since()).slice(-8).map((s) => s.powerW);
    const same = (p: number) => (v === 'dashboard' ? p.toFixed(2) === b.powerW?.toFixed(2) : p === b.powerW);
    return recent.some(same) ? '' : `power ${b.powerW} not among its own latest (${recent.join(', ')})`;
  }]));

  await allViews('every board online with its power', onlineWithOwnPower(() => 0), 45_000);
  await waitFor(() => BOARDS.every((b) => own.online(b) && own.samples.get(b)!.length >= 2), { timeoutMs: 10_000, what: 'two samples of every board' });
  own.freeze();
  const captured: FuzzBoard[] = BOARDS.map((board) => ({ board, status: own.online(board)!, telemetry: own.samples.get(board)! }));

  // Outsiders: a wrong password, a monitor and a board publishing outside their rights.
  const wrong = await login({ username: 'host', password: 'wrong' }).then(() => 'let in', (err: Error) => err.message);
  assert.match(wrong, /Bad username or password|Not authorized/);
  assert.ok(await refusedPublish(await login(monitorAccess), boardTopic(up.desk, 'b01', 'telemetry'), '{}'), 'a monitor publishes nothing');
  await deskbox(['desk', 'power', 'b04', 'off', '--state', state]);
  await waitFor(async () => (await metricsView(`${up.dashboard}metrics`)).boards.find((b) => b.board === 'b04')?.state === 'not online', { timeoutMs: 15_000, what: 'b04 off' });
  const b04 = { username: 'b04', password: (await readFile(deskLayout(state).board('b04').passwordFile, 'utf8')).trim() };
  assert.ok(await refusedPublish(await login(b04, { clientId: boardClientId(up.desk, 'b04') }), boardTopic(up.desk, 'b01', 'status'), '{}'), 'a board publishes only on its own topics');
  const asB04 = await login(b04, { clientId: boardClientId(up.desk, 'b04') });

  // The corpus: b04's own topics as b04, the rest as the host, oversized ones each on a client the broker then drops.
  const corpus = fuzzCorpus({ seed: SEED, desk: up.desk, boards: captured, count: COUNT, now: Date.now() });
  const mine = (m: FuzzMessage) => ['status', 'telemetry', 'events', 'reply'].some((ch) => m.topic === boardTopic(up.desk, 'b04', ch as 'status'));
  const hostClient = await login(hostAccess);
  const published = await publishAll(corpus, {
    pick: (m) => (m.oversized ? 'throwaway' : mine(m) ? asB04 : hostClient),
    throwaway: () => login(hostAccess),
  });
  await asB04.endAsync();
  const midway = await boardsView(state);
  assert.is(midway.boards.length, BOARDS.length, '`boards` reads the retained garbage and lists the desk\'s boards only');

  // One good status per live board (its own, stamped now), b04 back on, then the boards' own next samples.
  for (const b of ['b01', 'b02', 'b03']) {
    const s = own.online(b)!;
    await hostClient.publishAsync(boardTopic(up.desk, b, 'status'), JSON.stringify({ ...s, uptimeS: (Date.now() - s.bootedAt) / 1000 }), { qos: 1, retain: true });
  }
  await deskbox(['desk', 'power', 'b04', 'on', '--state', state]);
  const fuzzEnd = Date.now();
  await allViews('every board online, with its version and its own latest power', onlineWithOwnPower(() => fuzzEnd), 60_000);

  // An empty retained telemetry clears b02's power and leaves it online (its samples paused meanwhile).
  const requests = createRequester(hostClient, up.desk);
  assert.ok((await requests('b02', 'telemetry.period', { seconds: 3600 }, 10_000)).ok);
  let cleared = 0;
  const clearB02 = async () => {
    cleared = Date.now();
    await hostClient.publishAsync(boardTopic(up.desk, 'b02', 'telemetry'), '', { qos: 1, retain: true });
  };
  await clearB02();
  const noPower = onlineWithOwnPower(() => fuzzEnd);
  noPower.set('b02', (b) => {
    if (b.state !== 'online') return `state ${b.state}`;
    if (b.powerW === undefined) return '';
    // A sample that was on its way when the period changed came after the clearing: clear again.
    if (Date.now() - cleared > 1000) void clearB02();
    return `power ${b.powerW}`;
  });
  await allViews('b02 online without power', noPower);
  assert.ok((await requests('b02', 'telemetry.period', { seconds: 1 }, 10_000)).ok);
  const restored = Date.now();
  const final = await allViews('b02\'s power back', onlineWithOwnPower(() => restored));

  const status = JSON.parse((await deskbox(['desk', 'status', '--state', state, '--json'])).stdout) as { broker: { restarts: number } };
  assert.is(status.broker.restarts, 0, 'the broker never fell over');
  assert.equal(dash.errors, []);
  assert.ok(final.monitor!.rejected > 0, 'the live views counted refusals');
  // They heard the same messages (the broker loses none: broker/exact-dedupe.ts) and judged them alike.
  assert.equal([final.metrics!.rejected, final.dashboard!.rejected], [final.monitor!.rejected, final.monitor!.rejected], 'monitor, metrics and dashboard refused alike');
  process.stdout.write(`\nview fuzz: seed ${SEED}, ${corpus.length} messages (${corpus.filter((m) => m.retain).length} retained), ${published.taken} taken and ${published.refused} refused by the broker; `
    + `rejected by monitor ${final.monitor!.rejected}, metrics ${final.metrics!.rejected}, dashboard ${final.dashboard!.rejected}; `
    + `by reason: monitor ${JSON.stringify(final.monitor!.reasons)}, dashboard ${JSON.stringify(final.dashboard!.reasons)}; kinds ${JSON.stringify(corpusKinds(corpus))}\n`);

  assert.is(await monitor.stop(), 0, `monitor ended cleanly: ${monitor.stderr()}`);
  await dash.browser.close();
  dash = undefined;
  await desk.down();
  assert.equal(await processesMentioning(state), [], 'nothing left running');
}));

test.run();
