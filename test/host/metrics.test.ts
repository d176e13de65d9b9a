/**
 * Desk metrics against a real broker on loopback: statuses and telemetry published as a
 * board would (retained), read back from the exposition text the way Prometheus reads it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import { memoryLogger } from '../../platform/log.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { experimentTopic, type ExperimentProgress } from '../../broker/contract/experiment.ts';
import type { Status, Telemetry } from '../../broker/contract/payloads.ts';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { waitFor } from '../support/wait.ts';
import { verdictTopic } from '../../broker/contract/health.ts';
import { createDeskMetrics, type DeskMetrics } from '../../host/metrics/desk-metrics.ts';
import { serveMetrics } from '../../host/metrics/server.ts';
import { Clients, DESK, testUsers } from '../broker/support.ts';
import { parseExposition, type Exposition } from './exposition.ts';
import { runProgram } from '../support/run-program.ts';

interface Ctx {
  desk: DeskBroker;
  clients: Clients;
  host: MqttClient;
  metrics: DeskMetrics;
}

const online = (board: string): Status => ({
  v: 1, state: 'online', board, version: '1.2.3', bootedAt: 1000, uptimeS: 1, keepaliveS: 10, phases: [], guestRuntime: 'crun',
  image: { slot: 'b', name: 'deskbox-sim', version: '1.2.3', sha256: 'ab'.repeat(32) },
});
const telemetry = (board: string, powerW: number, energyJ: number, running = 0): Telemetry => ({
  v: 1, board, at: Date.now(), seq: 1, uptimeS: 5, powerW, volts: 5, amps: powerW / 5, energyJ, cpu: 0.25, memBytes: 5e7,
  guests: { running, ready: running, failed: 1 },
});
const PROMTOOL = new URL('../../.cache/promtool/promtool', import.meta.url).pathname;

const publish = (client: MqttClient, desk: string, board: string, channel: 'status' | 'telemetry', value: unknown) =>
  client.publishAsync(boardTopic(desk, board, channel), typeof value === 'string' ? value : JSON.stringify(value), { qos: 1, retain: true });

/** Renders until `cond` holds on what Prometheus would read; returns that reading. */
async function scrapeUntil(metrics: DeskMetrics, what: string, cond: (e: Exposition) => boolean): Promise<Exposition> {
  let last = parseExposition('');
  await waitFor(async () => cond((last = parseExposition(await metrics.render()))), { timeoutMs: 5000, what, pollMs: 10 });
  return last;
}

const metrics = suite<Ctx>('desk metrics');

metrics.before(async (ctx) => {
  ctx.desk = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), statsIntervalMs: 50 });
  ctx.clients = new Clients();
  const url = `mqtt://127.0.0.1:${ctx.desk.tcpPort}`;
  ctx.host = await ctx.clients.connect(url, 'host');
  await publish(ctx.host, DESK, 'b01', 'status', online('b01'));
  await publish(ctx.host, DESK, 'b01', 'telemetry', telemetry('b01', 1.25, 7200, 3));
  await publish(ctx.host, DESK, 'b02', 'telemetry', telemetry('b02', 2, 100));
  await publish(ctx.host, DESK, 'b02', 'status', { v: 1, state: 'offline', board: 'b02', reason: 'lastwill' });
  await ctx.host.publishAsync(verdictTopic(DESK, 'b02'), JSON.stringify({ v: 1, board: 'b02', state: 'quarantined', since: 1, reason: '2 failed self-checks in a row' }), { qos: 1, retain: true });
  const monitor = await ctx.clients.connect(url, 'monitor');
  ctx.metrics = await createDeskMetrics({ client: monitor, desk: DESK, boards: ['b01', 'b02', 'b03'] });
});

metrics.after(async (ctx) => {
  await ctx.metrics?.close();
  await ctx.clients?.endAll();
  await ctx.desk?.close();
});

metrics('the desk\'s health verdicts: one series per board and state, and counts; no verdict is healthy', async ({ metrics: m }) => {
  const e = await scrapeUntil(m, 'b02 quarantined', (x) => x.value('deskbox_board_health', { board: 'b02', state: 'quarantined' }) === 1);
  assert.is(e.value('deskbox_board_health', { board: 'b02', state: 'healthy' }), 0);
  assert.is(e.value('deskbox_board_health', { board: 'b01', state: 'healthy' }), 1);
  assert.equal(['healthy', 'quarantined', 'retired'].map((state) => e.value('deskbox_boards_health', { state })), [2, 1, 0]);
});

metrics('retained statuses and telemetry become per-board and desk figures', async ({ metrics: m }) => {
  const e = await scrapeUntil(m, 'b01 online', (x) => x.value('deskbox_board_up', { board: 'b01' }) === 1 && x.value('deskbox_board_up', { board: 'b02' }) === 0);
  assert.equal(['online', 'offline', 'unknown'].map((state) => e.value('deskbox_boards', { state })), [1, 1, 1]);
  assert.is(e.value('deskbox_board_up', { board: 'b03' }), 0, 'an expected board never heard from is down');
  assert.is(e.value('deskbox_board_power_watts', { board: 'b01' }), 1.25);
  assert.is(e.value('deskbox_board_power_watts', { board: 'b02' }), undefined, 'an offline board has no live power');
  assert.is(e.value('deskbox_board_energy_joules_total', { board: 'b01' }), 7200);
  // b02's offline status came before this reader: the broker had cleared its telemetry, so nothing is known of it.
  assert.is(e.value('deskbox_board_energy_joules_total', { board: 'b02' }), undefined, 'no sample retained for an offline board');
  assert.is(e.value('deskbox_board_guests_running', { board: 'b01' }), 3);
  assert.is(e.value('deskbox_board_cpu_ratio', { board: 'b01' }), 0.25);
  assert.is(e.value('deskbox_board_memory_bytes', { board: 'b01' }), 5e7);
  assert.is(e.value('deskbox_desk_power_watts'), 1.25);
  assert.is(e.value('deskbox_guests_running'), 3);
  assert.is(e.types.get('deskbox_board_energy_joules_total'), 'counter');
  assert.is(e.types.get('deskbox_board_power_watts'), 'gauge');
  assert.equal(e.series('deskbox_board_info').map((x) => [x.labels, x.value]), [[{ board: 'b01', version: '1.2.3', image: 'deskbox-sim@1.2.3', slot: 'b', runtime: 'crun' }, 1]], 'online boards only');
  assert.equal([e.value('deskbox_board_volts', { board: 'b01' }), e.value('deskbox_board_amps', { board: 'b01' })], [5, 0.25]);
  assert.is(e.value('deskbox_board_volts', { board: 'b02' }), undefined);
  assert.equal([e.value('deskbox_board_guests_ready', { board: 'b01' }), e.value('deskbox_board_guests_failed', { board: 'b01' })], [3, 1]);
  assert.is(e.value('deskbox_board_boot_time_seconds', { board: 'b01' }), 1, 'a start time, not an uptime');
  assert.is(e.value('deskbox_board_last_telemetry_timestamp_seconds', { board: 'b02' }), undefined);
  assert.is(e.types.get('deskbox_desk_energy_joules_total'), 'counter');
});

metrics('the desk\'s energy counter adds up what boards measured, and a board\'s reset does not take it down', async ({ host, metrics: m }) => {
  const desk = (x: Exposition) => x.value('deskbox_desk_energy_joules_total') ?? -1;
  const start = desk(await scrapeUntil(m, 'desk energy', (x) => desk(x) >= 0));
  await publish(host, DESK, 'b01', 'telemetry', telemetry('b01', 1.25, 7300, 3));
  const grown = await scrapeUntil(m, '100 J more', (x) => desk(x) === start + 100);
  // The agent restarted: its counter begins again at 40 J, which the desk counts as 40 J more.
  await publish(host, DESK, 'b01', 'telemetry', { ...telemetry('b01', 1.25, 40, 3), seq: 0 });
  await scrapeUntil(m, 'a reset counted from 0', (x) => desk(x) === desk(grown) + 40);
});

metrics('promtool, Prometheus\' own checker, finds nothing to say of the exposition', async ({ metrics: m }) => {
  const text = await m.render();
  const r = await runProgram(PROMTOOL, ['check', 'metrics'], { input: text, timeoutMs: 30_000 });
  assert.is(r.code, 0, `promtool: ${r.stdout}${r.stderr}`);
  assert.is((r.stdout + r.stderr).trim(), '', 'no lint findings');
});

metrics('refused messages are counted by channel and reason and change nothing', async ({ host, metrics: m }) => {
  await publish(host, DESK, 'b01', 'telemetry', '{"v":1,"board":');
  await publish(host, DESK, 'b01', 'telemetry', { ...telemetry('b01', 9, 1), powerW: -1 });
  await publish(host, DESK, 'b01', 'telemetry', { ...telemetry('b01', 9, 1), at: 1 });
  await host.publishAsync(experimentTopic(DESK), '{"v":1,"run":7}', { qos: 1 });
  const refused = (channel: string, reason: string) => (x: Exposition) => x.value('deskbox_rejected_messages_total', { channel, reason });
  const e = await scrapeUntil(m, 'four refusals', (x) => refused('telemetry', 'not-json')(x) === 1 && refused('telemetry', 'schema')(x) === 1
    && refused('telemetry', 'stale')(x) === 1 && refused('experiment', 'schema')(x) === 1);
  assert.is(refused('status', 'stale')(e), 0);
  assert.is(e.value('deskbox_board_power_watts', { board: 'b01' }), 1.25);
  assert.equal(e.series('deskbox_experiment_info'), []);
});

metrics('the experiment and the broker statistics', async ({ host, metrics: m }) => {
  const progress: ExperimentProgress = {
    v: 1, run: 'r1', plan: 'default', state: 'running', phase: 'launch', repetition: 2, repetitions: 3,
    done: 30, total: 120, boards: 2, startedAt: Date.now() - 5000, updatedAt: Date.now(),
  };
  await host.publishAsync(experimentTopic(DESK), JSON.stringify(progress), { qos: 1, retain: true });
  const e = await scrapeUntil(m, 'experiment and stats', (x) => x.value('deskbox_experiment_progress_ratio') !== undefined
    && (x.value('deskbox_broker_clients') ?? 0) >= 2 && (x.value('deskbox_broker_retained_messages') ?? 0) >= 5);
  assert.equal(e.series('deskbox_experiment_info').map((s) => [s.labels, s.value]), [[{ run: 'r1', plan: 'default', phase: 'launch', state: 'running' }, 1]]);
  assert.is(e.value('deskbox_experiment_progress_ratio'), 0.25);
  assert.is(e.value('deskbox_experiment_repetition'), 2);
  assert.ok((e.value('deskbox_broker_subscriptions') ?? 0) >= 4, 'the metrics client alone subscribes four filters');
  for (const name of ['received', 'sent']) {
    assert.ok((e.value(`deskbox_broker_messages_${name}_total`) ?? -1) > 0, `${name} total`);
    assert.ok((e.value(`deskbox_broker_messages_${name}_per_second`) ?? -1) >= 0, `${name} rate`);
  }
  assert.is(e.types.get('deskbox_broker_messages_sent_total'), 'counter');
  // A runner killed while the broker was down leaves `running` behind, its will lost: told apart by its age.
  await host.publishAsync(experimentTopic(DESK), JSON.stringify({ ...progress, updatedAt: Date.now() - 60_000 }), { qos: 1, retain: true });
  const stale = await scrapeUntil(m, 'a stale experiment', (x) => x.series('deskbox_experiment_info')[0]?.labels.state === 'stale');
  assert.equal(stale.series('deskbox_experiment_info').map((s) => s.labels.run), ['r1']);
});

metrics('a board going offline is down at once and loses its live figures', async ({ host, metrics: m }) => {
  const before = parseExposition(await m.render()).value('deskbox_board_energy_joules_total', { board: 'b01' });
  assert.ok(before !== undefined && before > 0);
  // Stamped after the online status it follows (bootedAt 1 + uptimeS 1): docs/mqtt.md, "Reading status and telemetry".
  await host.publishAsync(boardTopic(DESK, 'b01', 'status'), JSON.stringify({ v: 1, state: 'offline', board: 'b01', reason: 'shutdown', at: 5000 }), { qos: 1, retain: true });
  const e = await scrapeUntil(m, 'b01 offline', (x) => x.value('deskbox_board_up', { board: 'b01' }) === 0);
  assert.is(e.value('deskbox_board_power_watts', { board: 'b01' }), undefined);
  assert.is(e.value('deskbox_desk_power_watts'), 0);
  assert.equal(['online', 'offline', 'unknown'].map((state) => e.value('deskbox_boards', { state })), [0, 2, 1]);
  // The broker cleared its retained telemetry with the offline status; what this reader saw stays.
  assert.is(e.value('deskbox_board_energy_joules_total', { board: 'b01' }), before, 'energy outlives the board going offline');
  const heard = e.value('deskbox_board_last_telemetry_timestamp_seconds', { board: 'b01' });
  assert.ok(heard !== undefined && Math.abs(heard - Date.now() / 1000) < 60, 'when an offline board was last heard');
});

metrics('served over HTTP: /metrics, and nothing else', async ({ metrics: m }) => {
  const server = await serveMetrics(m, { host: '127.0.0.1', port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(server.url);
    assert.is(res.status, 200);
    assert.is(res.headers.get('content-type'), m.contentType);
    assert.ok(parseExposition(await res.text()).value('deskbox_board_up', { board: 'b03' }) === 0);
    assert.is((await fetch(new URL('/other', server.url))).status, 404);
    assert.is((await fetch(server.url, { method: 'POST' })).status, 405);
  } finally {
    await server.close();
  }
});

metrics('490 boards: every series there, and render stays fast', async ({ clients, desk }) => {
  const BOARDS = Array.from({ length: 490 }, (_, i) => `b${String(i + 1).padStart(3, '0')}`);
  const host = await clients.connect(`mqtt://127.0.0.1:${desk.tcpPort}`, 'host');
  await Promise.all(BOARDS.flatMap((b, i) => [publish(host, 'big', b, 'status', online(b)), publish(host, 'big', b, 'telemetry', telemetry(b, 1 + i / 1000, i, 2))]));
  const big = await createDeskMetrics({ client: await clients.connect(`mqtt://127.0.0.1:${desk.tcpPort}`, 'monitor'), desk: 'big', boards: BOARDS });
  try {
    const e = await scrapeUntil(big, '490 boards with telemetry', (x) => x.series('deskbox_board_power_watts').length === 490);
    assert.is(e.value('deskbox_boards', { state: 'online' }), 490);
    assert.is(e.value('deskbox_guests_running'), 980);
    assert.ok(Math.abs(e.value('deskbox_desk_power_watts')! - (490 + 489 * 490 / 2 / 1000)) < 1e-6);
    const started = performance.now();
    for (let i = 0; i < 10; i++) await big.render();
    const msEach = (performance.now() - started) / 10;
    // Generous for a loaded 2-core CI machine; measured at a few ms (see docs/metrics.md).
    assert.ok(msEach < 250, `render took ${msEach.toFixed(1)} ms for 490 boards`);
  } finally {
    await big.close();
  }
});

metrics.run();
