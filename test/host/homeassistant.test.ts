/**
 * Home Assistant discovery: the pure config messages (shape, ids, topics, templates read
 * against real contract payloads), and the publisher against a real broker and its policy.
 */
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import * as v from 'valibot';
import { memoryLogger } from '../../platform/log.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { AVAILABILITY } from '../../broker/contract/availability.ts';
import { DeskSummarySchema, deskSummaryTopic, type DeskSummary } from '../../broker/contract/desk-summary.ts';
import { deskConfigTopics, deskDiscoveryMessages } from '../../host/homeassistant/desk-device.ts';
import { deskSummaryOf, publishDeskSummary } from '../../host/homeassistant/desk-summary.ts';
import type { BoardRow } from '../../host/client/board-view.ts';
import { StatusSchema, TelemetrySchema, type Status, type Telemetry } from '../../broker/contract/payloads.ts';
import { BoardVerdictSchema, VERDICT_STATES, verdictTopic, type BoardVerdict } from '../../broker/contract/health.ts';
import { authorizePublish, authorizeSubscribe } from '../../broker/policy.ts';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { configTopics, deviceId, discoveryMessages, isDeskConfigTopic, removalMessages } from '../../host/homeassistant/discovery.ts';
import { startHomeAssistantDiscovery } from '../../host/homeassistant/publisher.ts';
import { removeHomeAssistantDiscovery } from '../../host/homeassistant/remove.ts';
import { Clients, DESK, collect, testUsers } from '../broker/support.ts';
import { discoveryProblems } from '../support/ha-discovery-rules.ts';
import { pressOp } from '../../broker/contract/press.ts';
import { waitFor } from '../support/wait.ts';

// What Home Assistant accepts as a discovery topic: <prefix>/<component>/[<node_id>/]<object_id>/config.
const HA_TOPIC = /^homeassistant\/(sensor|binary_sensor|button)\/[a-zA-Z0-9_-]+\/[a-zA-Z0-9_-]+\/config$/;

const status: Status = { v: 1, state: 'online', board: 'b01', version: '1.2.3', bootedAt: 1, uptimeS: 1, keepaliveS: 10, phases: [] };
const telemetry: Telemetry = {
  v: 1, board: 'b01', at: 1, seq: 1, uptimeS: 1, powerW: 1.5, volts: 5, amps: 0.3, energyJ: 7200, cpu: 0, memBytes: 1, guests: { running: 4, failed: 0 },
};

/**
 * Evaluates the only template shapes we emit, `{{ value_json.a.b }}` and `{{ (value_json.a / n) | round(k) }}`,
 * either alone or as `{{ X if value_json is defined else None }}`; `payload` undefined is a message that is not JSON
 * (an empty one), where HA gives no value_json: null is HA's `None`.
 */
function render(template: string, payload: object | undefined): unknown {
  const m = /^\{\{ (?:\()?value_json\.([\w.]+)(?: \/ (\d+)\) \| round\((\d+)\))?( if value_json is defined else None)? \}\}$/.exec(template);
  if (!m) throw new Error(`unexpected template ${template}`);
  if (payload === undefined) {
    assert.ok(m[4], `${template} copes with a message that is not JSON`);
    return null;
  }
  const value = m[1]!.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], payload);
  if (!m[2]) return value;
  assert.type(value, 'number', `${m[1]} is a number`);
  return Number(((value as number) / Number(m[2])).toFixed(Number(m[3])));
}

type Config = Record<string, unknown> & { device: Record<string, unknown> };
const configs = (desk: string, boards: { board: string; version?: string }[]) =>
  discoveryMessages(desk, boards).map((m) => ({ topic: m.topic, config: JSON.parse(m.payload) as Config }));

test('one device per board, seven entities, on topics Home Assistant and the policy accept', () => {
  const all = configs('desk1', [{ board: 'b01', version: '1.2.3' }, { board: 'b02' }]);
  assert.is(all.length, 14);
  for (const { topic, config } of all) {
    assert.match(topic, HA_TOPIC);
    assert.ok(authorizePublish({ role: 'host', username: 'host' }, topic).allow, topic);
    assert.is(config.device.manufacturer, 'deskbox');
    assert.is(config.device.via_device, deviceId('desk1'));
  }
  assert.equal(new Set(all.map((c) => JSON.stringify(c.config.device.identifiers))).size, 2);
  assert.is(all[0]!.config.device.sw_version, '1.2.3');
  assert.not.ok('sw_version' in all[7]!.config.device, 'no version until the board says it');
  assert.equal(removalMessages('desk1', ['b01', 'b02']).map((m) => m.topic), all.map((c) => c.topic));
  assert.ok(removalMessages('desk1', ['b01']).every((m) => m.payload === ''));
});

test('unique ids are stable and never collide, even for ids Home Assistant cannot take', () => {
  const ids = (desk: string, board: string) => configs(desk, [{ board }]).map((c) => String(c.config.unique_id));
  assert.equal(ids('desk1', 'b01'), ids('desk1', 'b01'));
  assert.equal(configs('desk1', [{ board: 'b01', version: '1' }])[0]!.config.unique_id, configs('desk1', [{ board: 'b01', version: '2' }])[0]!.config.unique_id);
  const tricky: [string, string][] = [['a', 'b.c'], ['a', 'b_c'], ['a', 'b-c'], ['a-b', 'c'], ['a.b', 'c'], ['a', 'b_dc'], ['a', 'b__c']];
  const every = tricky.flatMap(([d, b]) => ids(d, b));
  assert.is(new Set(every).size, every.length);
  const topics = tricky.flatMap(([d, b]) => configTopics(d, b));
  assert.is(new Set(topics).size, topics.length);
  for (const topic of topics) assert.match(topic, HA_TOPIC);
  assert.ok(isDeskConfigTopic('a', configTopics('a', 'b-c')[0]!));
  assert.not.ok(isDeskConfigTopic('a', configTopics('a-b', 'c')[0]!), 'desk a-b is not desk a');
});

test('templates read the contract payloads: power in W, energy in Wh, availability online/offline', () => {
  assert.ok(v.safeParse(TelemetrySchema, telemetry).success && v.safeParse(StatusSchema, status).success);
  const byObject = new Map(configs('desk1', [{ board: 'b01' }]).map((c) => [c.topic.split('/')[3], c.config]));
  const power = byObject.get('power')!;
  const energy = byObject.get('energy')!;
  const guests = byObject.get('guests_running')!;
  assert.equal([power.device_class, power.state_class, power.unit_of_measurement], ['power', 'measurement', 'W']);
  assert.equal([energy.device_class, energy.state_class, energy.unit_of_measurement], ['energy', 'total_increasing', 'Wh']);
  assert.is(render(String(power.value_template), telemetry), 1.5);
  assert.is(render(String(energy.value_template), telemetry), 2, '7200 J is 2 Wh');
  assert.is(render(String(guests.value_template), telemetry), 4);
  // A board that went offline has its retained telemetry cleared: HA shows unknown, not its last watts.
  for (const config of [power, energy, guests]) assert.is(render(String(config.value_template), undefined), null);
  for (const config of [power, energy, guests]) {
    assert.is(config.state_topic, boardTopic('desk1', 'b01', 'telemetry'));
    assert.is(config.availability_topic, boardTopic('desk1', 'b01', 'availability'));
    assert.not.ok('availability_template' in config, 'the availability topic holds the plain word');
    assert.equal([config.payload_available, config.payload_not_available], [...AVAILABILITY]);
  }
});

// Home Assistant's enum sensor: `options` lists every state it may take, and a state class or unit is refused.
test('the health sensor is an enum of the five verdict states read from the desk\'s retained verdict', () => {
  const health = configs('desk1', [{ board: 'b01' }]).find((c) => c.topic.split('/')[3] === 'health')!.config;
  assert.is(health.device_class, 'enum');
  assert.equal(health.options, [...VERDICT_STATES]);
  assert.not.ok('state_class' in health || 'unit_of_measurement' in health, 'an enum sensor has neither a state class nor a unit');
  assert.is(health.entity_category, 'diagnostic');
  assert.is(health.state_topic, verdictTopic('desk1', 'b01'));
  assert.is(health.json_attributes_topic, verdictTopic('desk1', 'b01'), 'the reason and since come along as attributes');
  assert.not.ok('availability_topic' in health, 'a verdict holds while the board is off');
  assert.ok(authorizeSubscribe({ role: 'monitor', username: 'monitor' }, String(health.state_topic)).allow, 'Home Assistant\'s monitor user reads verdicts');
  for (const state of VERDICT_STATES) {
    const verdict: BoardVerdict = { v: 1, board: 'b01', state, since: 1, reason: 'why' };
    assert.ok(v.safeParse(BoardVerdictSchema, verdict).success);
    assert.is(render(String(health.value_template), verdict), state);
  }
});

test('connectivity: a binary sensor on the plain availability word, with the board\'s status as its attributes', () => {
  const all = configs('desk1', [{ board: 'b01' }]);
  const online = all.find((c) => c.topic.split('/')[3] === 'online')!;
  assert.is(online.topic.split('/')[1], 'binary_sensor');
  assert.is(online.config.device_class, 'connectivity');
  assert.is(online.config.state_topic, boardTopic('desk1', 'b01', 'availability'));
  assert.equal([online.config.payload_on, online.config.payload_off], [...AVAILABILITY]);
  assert.is(online.config.json_attributes_topic, boardTopic('desk1', 'b01', 'status'), 'version, slot, uptime, phases as attributes');
  assert.not.ok('availability_topic' in online.config, 'it says offline itself');
  for (const topic of [online.config.state_topic, online.config.json_attributes_topic]) {
    assert.ok(authorizeSubscribe({ role: 'monitor', username: 'monitor' }, String(topic)).allow, String(topic));
  }
});

test('the desk is a device too: the one every board names as via_device, with power, boards online and guests from the desk summary', () => {
  const desk = deskDiscoveryMessages('desk1', { configurationUrl: 'http://127.0.0.1:8080/' }).map((m) => ({ topic: m.topic, config: JSON.parse(m.payload) as Config }));
  assert.equal(desk.map((c) => c.topic), deskConfigTopics('desk1'));
  const summary: DeskSummary = { v: 1, at: 1, boards: 8, online: 7, powerW: 8.5, energyJ: 100, guestsRunning: 64 };
  assert.ok(v.safeParse(DeskSummarySchema, summary).success);
  for (const { topic, config } of desk) {
    assert.match(topic, HA_TOPIC);
    assert.ok(isDeskConfigTopic('desk1', topic), topic);
    assert.ok(authorizePublish({ role: 'host', username: 'host' }, topic).allow, topic);
    assert.equal(config.device.identifiers, [deviceId('desk1')], 'the id the boards name as via_device');
    assert.is(config.device.configuration_url, 'http://127.0.0.1:8080/');
    assert.is(config.state_topic, deskSummaryTopic('desk1'));
    assert.ok(authorizeSubscribe({ role: 'monitor', username: 'monitor' }, String(config.state_topic)).allow);
    assert.is(config.expire_after, 30, 'old figures expire when the host stops publishing');
  }
  assert.equal(desk.map((c) => render(String(c.config.value_template), summary)), [8.5, 7, 64]);
  assert.is(configs('desk1', [{ board: 'b01' }])[0]!.config.device.via_device, (desk[0]!.config.device.identifiers as string[])[0]);
  const linked = discoveryMessages('desk1', [{ board: 'b01' }], undefined, 'http://127.0.0.1:8080/').map((m) => JSON.parse(m.payload) as Config);
  assert.ok(linked.every((c) => c.device.configuration_url === 'http://127.0.0.1:8080/'), 'boards link to the dashboard too');
});

test('reboot and identify buttons: press the plain word on the board\'s press topic, while the board is online', () => {
  const buttons = configs('desk1', [{ board: 'b01' }]).filter((c) => c.topic.split('/')[1] === 'button');
  assert.equal(buttons.map((b) => [b.topic.split('/')[3], b.config.device_class, b.config.payload_press]), [['reboot', 'restart', 'reboot'], ['identify', 'identify', 'identify']]);
  const homeAssistant = { role: 'homeassistant', username: 'homeassistant' } as const;
  for (const { config } of buttons) {
    assert.is(config.command_topic, boardTopic('desk1', 'b01', 'press'));
    assert.is(pressOp(String(config.payload_press)), config.payload_press, 'a word the broker makes a command of');
    assert.is(config.retain, false);
    assert.ok(authorizePublish(homeAssistant, String(config.command_topic), { payload: String(config.payload_press), retain: false }).allow, 'Home Assistant\'s user may press it');
    assert.is(config.availability_topic, boardTopic('desk1', 'b01', 'availability'), 'unavailable while the board is off');
    assert.is(config.device.via_device, deviceId('desk1'), 'part of the board\'s device');
  }
});

test('every config the desk publishes passes Home Assistant\'s discovery rules', () => {
  const messages = [
    ...deskDiscoveryMessages('desk1', { configurationUrl: 'https://desk-pc:8443/' }),
    ...discoveryMessages('desk1', [{ board: 'b01', version: '1.2.3' }, { board: 'rack-1.b_2' }], undefined, 'https://desk-pc:8443/'),
    ...discoveryMessages('desk1', [{ board: 'b03' }]),
  ];
  assert.is(messages.length, 3 + 3 * 7);
  assert.equal(messages.flatMap((m) => discoveryProblems(m.topic, m.payload)), []);
  const ids = messages.map((m) => (JSON.parse(m.payload) as Config).unique_id);
  assert.is(new Set(ids).size, ids.length, 'unique ids unique across the desk');
});

test('the rules catch what Home Assistant would refuse or drop', () => {
  const good = discoveryMessages('desk1', [{ board: 'b01' }]);
  const byObject = new Map(good.map((m) => [m.topic.split('/')[3], { topic: m.topic, config: JSON.parse(m.payload) as Config }]));
  const problems = (object: string, change: (c: Config) => void) => {
    const { topic, config } = byObject.get(object)!;
    const copy = structuredClone(config);
    change(copy);
    return discoveryProblems(topic, JSON.stringify(copy)).join('; ');
  };
  const cases: [string, (c: Config) => void, RegExp][] = [
    ['power', (c) => { c.unit_of_measurement = 'J'; }, /unit J is not one HA takes for power/],
    ['power', (c) => { c.state_class = 'total_increasing'; }, /state_class total_increasing is not one HA takes for power/],
    ['energy', (c) => { c.state_class = 'measurement'; }, /state_class measurement is not one HA takes for energy/],
    ['energy', (c) => { c.unit_of_measurement = 'W'; }, /unit W is not one HA takes for energy/],
    ['energy', (c) => { delete c.unit_of_measurement; }, /unit \(none\)/],
    ['health', (c) => { c.state_class = 'measurement'; }, /options with a state_class/],
    ['guests_running', (c) => { c.options = ['a']; }, /options without device_class enum/],
    ['power', (c) => { delete c.state_topic; }, /state_topic missing/],
    ['power', (c) => { c.state_topic = 'deskbox/+/x'; }, /state_topic missing or not a topic/],
    ['reboot', (c) => { delete c.command_topic; }, /command_topic missing/],
    ['reboot', (c) => { c.device_class = 'reboot'; }, /button device_class reboot unknown/],
    ['online', (c) => { c.device_class = 'online'; }, /binary_sensor device_class online unknown/],
    ['power', (c) => { c.device.identifiers = []; }, /device needs identifiers or connections/],
    ['power', (c) => { delete c.unique_id; }, /unique_id is required with a device/],
    ['power', (c) => { (c.origin as Record<string, unknown>) = { sw_version: '1' }; }, /origin.name is required/],
    ['power', (c) => { c.stat_t = c.state_topic; }, /state_topic given twice/],
    ['power', (c) => { c.value_tempalte = '{{ x }}'; }, /unknown key value_tempalte/],
    ['power', (c) => { c.device.firmware = '1'; }, /unknown key device.firmware/],
    ['power', (c) => { c.entity_category = 'config'; }, /entity_category config is not for a sensor/],
    ['power', (c) => { c.availability = [{ topic: 'x' }]; }, /availability and availability_topic together/],
  ];
  for (const [object, change, expected] of cases) assert.match(problems(object, change), expected, expected.source);
  // Abbreviations are what HA expands: an abbreviated config is as good as the full one.
  const { topic, config } = byObject.get('power')!;
  const { state_topic: stat_t, unique_id: uniq_id, device: dev, ...rest } = config;
  const { identifiers: ids, manufacturer: mf, ...devRest } = dev;
  assert.equal(discoveryProblems(topic, JSON.stringify({ ...rest, stat_t, uniq_id, dev: { ...devRest, ids, mf } })), []);
  assert.match(discoveryProblems('homeassistant/light/x/y/config', '{}').join(), /not one the rules know/);
  assert.match(discoveryProblems('homeassistant/sensor/x y/config', '{}').join(), /not a discovery topic/);
});

test('the desk summary adds up the boards as last heard', () => {
  const rows: BoardRow[] = [
    { board: 'b01', state: 'online', powerW: 1.25, energyJ: 10, guests: { running: 3, failed: 0 } },
    { board: 'b02', state: 'offline', energyJ: 5.5 },
    { board: 'b03', state: 'unknown' },
  ];
  assert.equal(deskSummaryOf(rows, 1234.5), { v: 1, at: 1235, boards: 3, online: 1, powerW: 1.25, energyJ: 15.5, guestsRunning: 3 });
});

const publisher = suite<{ desk: DeskBroker; clients: Clients; url: string }>('discovery publisher');

publisher.before(async (ctx) => {
  ctx.desk = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), statsIntervalMs: 60_000 });
  ctx.clients = new Clients();
  ctx.url = `mqtt://127.0.0.1:${ctx.desk.tcpPort}`;
});

publisher.after(async (ctx) => {
  await ctx.clients?.endAll();
  await ctx.desk?.close();
});

publisher('configs follow the boards: first seen, new version, cleared, stopped with removal', async ({ clients, url }) => {
  const host = await clients.connect(url, 'host');
  const monitor = await clients.connect(url, 'monitor');
  assert.ok(authorizeSubscribe({ role: 'monitor', username: 'monitor' }, 'homeassistant/#').allow);
  const got = collect(monitor);
  await monitor.subscribeAsync('homeassistant/#', { qos: 1 });
  const latest = (topic: string) => got.filter((m) => m.topic === topic).at(-1)?.payload;
  const swVersion = (board: string) => {
    const payload = latest(configTopics(DESK, board)[0]!);
    return payload ? (JSON.parse(payload) as Config).device.sw_version : payload;
  };
  const publishStatus = (board: string, value: Status | '') =>
    host.publishAsync(boardTopic(DESK, board, 'status'), value === '' ? '' : JSON.stringify(value), { qos: 1, retain: true });

  await publishStatus('b01', status);
  const logger = memoryLogger('ha');
  const discovery = startHomeAssistantDiscovery({ client: host, desk: DESK, logger });
  await waitFor(() => swVersion('b01') === '1.2.3', { timeoutMs: 5000, what: 'b01 configs from its retained status' });
  await publishStatus('b02', { v: 1, state: 'offline', board: 'b02', reason: 'lastwill' });
  await waitFor(() => swVersion('b02') === undefined && latest(configTopics(DESK, 'b02')[0]!) !== undefined, { timeoutMs: 5000, what: 'b02 configs though offline' });
  await publishStatus('b01', { ...status, version: '2.0.0' });
  await waitFor(() => swVersion('b01') === '2.0.0', { timeoutMs: 5000, what: 'b01 configs carry its new version' });
  await publishStatus('b02', '');
  await waitFor(() => configTopics(DESK, 'b02').every((t) => latest(t) === ''), { timeoutMs: 5000, what: 'b02 configs removed with its status' });
  assert.ok(deskConfigTopics(DESK).every((t) => (latest(t) ?? '').length > 0), 'the desk device, published at start');
  await discovery.stop(true);
  await waitFor(() => configTopics(DESK, 'b01').every((t) => latest(t) === ''), { timeoutMs: 5000, what: 'b01 configs removed on stop' });
  await waitFor(() => deskConfigTopics(DESK).every((t) => latest(t) === ''), { timeoutMs: 5000, what: 'the desk device removed on stop' });
  assert.equal(logger.records.filter((r) => r.level === 'warn' || r.level === 'error'), []);
});

publisher('the desk summary is published retained, from the rows as they are at each period', async ({ clients, url }) => {
  const host = await clients.connect(url, 'host');
  const monitor = await clients.connect(url, 'monitor');
  const got = collect(monitor);
  await monitor.subscribeAsync(deskSummaryTopic(DESK), { qos: 1 });
  let rows: BoardRow[] = [{ board: 'b01', state: 'online', powerW: 1.5, energyJ: 3, guests: { running: 2, failed: 0 } }];
  const logger = memoryLogger('summary');
  const summary = publishDeskSummary({ client: host, desk: DESK, rows: () => rows, logger, periodMs: 50 });
  try {
    const last = () => { const m = got.at(-1); return m && (JSON.parse(m.payload) as DeskSummary); };
    await waitFor(() => last()?.online === 1, { timeoutMs: 5000, what: 'a first summary' });
    assert.ok(v.safeParse(DeskSummarySchema, last()).success);
    rows = [...rows, { board: 'b02', state: 'online', powerW: 2, energyJ: 1, guests: { running: 1, failed: 0 } }];
    await waitFor(() => last()?.online === 2 && last()?.powerW === 3.5 && last()?.guestsRunning === 3, { timeoutMs: 5000, what: 'the next period\'s figures' });
    assert.ok(got.every((m) => m.topic === deskSummaryTopic(DESK)));
  } finally {
    summary.stop();
  }
  assert.equal(logger.records.filter((r) => r.level === 'warn'), []);
});

publisher('removal sweeps every retained config of the desk, and only that desk', async ({ clients, url }) => {
  const host = await clients.connect(url, 'host');
  const messages = [...discoveryMessages(DESK, [{ board: 'gone1' }, { board: 'gone2' }]), ...discoveryMessages('other', [{ board: 'b01' }])];
  await Promise.all(messages.map((m) => host.publishAsync(m.topic, m.payload, { qos: 1, retain: true })));
  const removed = await removeHomeAssistantDiscovery({ client: host, desk: DESK });
  assert.equal(removed, [...configTopics(DESK, 'gone1'), ...configTopics(DESK, 'gone2')].sort());
  assert.equal(await removeHomeAssistantDiscovery({ client: host, desk: DESK }), [], 'nothing left');
  const left = await removeHomeAssistantDiscovery({ client: host, desk: 'other' });
  assert.is(left.length, 7);
});

test.run();
publisher.run();
