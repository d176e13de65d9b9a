/**
 * The desk broker end to end: a real broker on 127.0.0.1 (free ports) and real mqtt.js
 * clients speaking MQTT 3.1.1 over TCP and WebSocket.
 */
import { connect as connectTcp } from 'node:net';
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { memoryLogger, type LogRecord } from '../../platform/log.ts';
import { boardClientId, boardTopic } from '../../broker/contract/topics.ts';
import { BrokerListenError, createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { STATS_TOPICS, type StatsSnapshot } from '../../broker/contract/stats.ts';
import { Clients, DESK, collect, testUsers } from './support.ts';
import { waitFor } from '../support/wait.ts';
import { runProgram } from '../support/run-program.ts';

interface Ctx {
  desk: DeskBroker;
  logs: LogRecord[];
  clients: Clients;
  tcp: string;
}

const broker = suite<Ctx>('desk broker');

broker.before(async (ctx) => {
  const logger = memoryLogger('broker');
  ctx.logs = logger.records;
  ctx.desk = await createDeskBroker({ users: await testUsers(), logger, statsIntervalMs: 50 });
  ctx.tcp = `mqtt://127.0.0.1:${ctx.desk.tcpPort}`;
  ctx.clients = new Clients();
});

broker.after.each(async (ctx) => {
  await ctx.clients.endAll();
});

broker.after(async (ctx) => {
  await ctx.clients?.endAll();
  await ctx.desk?.close();
});

const closed = (c: MqttClient) => () => !c.connected;

/**
 * "Never arrives" without sleeping: once the host sees a marker published after the
 * refused message, anything the broker had let through would have arrived before it.
 */
async function markerSeen(host: MqttClient, got: { topic: string }[]): Promise<void> {
  const marker = `deskbox/${DESK}/host/marker-${Math.random()}`;
  await host.publishAsync(marker, 'm', { qos: 1 });
  await waitFor(() => got.some((m) => m.topic === marker), { timeoutMs: 5000, what: 'marker' });
}

broker('connections: bad password and unknown users are refused, good ones accepted', async ({ clients, tcp, logs }) => {
  const bad = await clients.connect(tcp, undefined, { username: 'host', password: 'wrong-pw' }).then(
    () => undefined,
    (e: { code?: number }) => e,
  );
  assert.is(bad?.code, 4, 'CONNACK 4: bad user name or password');
  const nobody = await clients.connect(tcp, undefined, { username: 'ghost', password: 'x' }).catch((e: { code?: number }) => e);
  assert.is((nobody as { code?: number }).code, 4);
  const anonymous = await clients.connect(tcp, undefined).catch((e: { code?: number }) => e);
  assert.is((anonymous as { code?: number }).code, 4);
  assert.ok((await clients.connect(tcp, 'host')).connected);

  const refusals = logs.filter((r) => r.msg === 'connect refused');
  assert.ok(refusals.some((r) => r.fields?.username === 'host'));
  assert.not.match(JSON.stringify(logs), 'wrong-pw', 'passwords never reach the log');
});

broker('a board publishing to another board is disconnected and its message never arrives', async ({ clients, tcp, logs }) => {
  const host = await clients.connect(tcp, 'host');
  const got = collect(host);
  await host.subscribeAsync('deskbox/#');
  const b01 = await clients.connect(tcp, 'b01');
  await b01.publishAsync(boardTopic(DESK, 'b01', 'telemetry'), 'own', { qos: 1 });
  b01.publish(boardTopic(DESK, 'b02', 'telemetry'), 'forged', { qos: 0 });
  await waitFor(closed(b01), { timeoutMs: 5000, what: 'b01 disconnected' });
  await markerSeen(host, got);

  assert.ok(got.some((m) => m.payload === 'own'), 'own telemetry went through');
  assert.not.ok(got.some((m) => m.payload === 'forged'), 'forged telemetry never arrived');
  const denial = logs.find((r) => r.msg === 'publish denied' && r.fields?.topic === boardTopic(DESK, 'b02', 'telemetry'));
  assert.ok(denial, 'the denial is logged');
  assert.is(denial!.fields?.username, 'b01');
  assert.type(denial!.fields?.clientId, 'string');
  assert.type(denial!.fields?.reason, 'string');
});

broker('a board subscribes inside its own subtree only, and a denial keeps it connected', async ({ clients, tcp }) => {
  const b01 = await clients.connect(tcp, 'b01');
  for (const filter of [`deskbox/${DESK}/boards/+/cmd`, 'deskbox/#', '#', '$SYS/#', boardTopic(DESK, 'b02', 'cmd')]) {
    const err = await b01.subscribeAsync(filter).then(() => undefined, (e: { packet?: { granted?: number[] } }) => e);
    assert.equal(err?.packet?.granted, [128], `SUBACK 0x80 for ${filter}`);
  }
  assert.ok(b01.connected);
  const grants = await b01.subscribeAsync([boardTopic(DESK, 'b01', 'cmd'), `deskbox/${DESK}/boards/b01/#`]);
  assert.equal(grants.map((g) => g.qos), [0, 0]);
});

broker('the host commands a board; the monitor cannot publish at all', async ({ clients, tcp }) => {
  const b01 = await clients.connect(tcp, 'b01');
  const boardGot = collect(b01);
  await b01.subscribeAsync(boardTopic(DESK, 'b01', 'cmd'), { qos: 1 });
  const host = await clients.connect(tcp, 'host');
  const hostGot = collect(host);
  await host.subscribeAsync('deskbox/#');
  await host.publishAsync(boardTopic(DESK, 'b01', 'cmd'), '{"v":1,"id":"1","op":"ping"}', { qos: 1 });
  await waitFor(() => boardGot.some((m) => m.payload.includes('"ping"')), { timeoutMs: 5000, what: 'command delivered' });

  const monitor = await clients.connect(tcp, 'monitor');
  monitor.publish(boardTopic(DESK, 'b01', 'cmd'), 'from-monitor', { qos: 0 });
  await waitFor(closed(monitor), { timeoutMs: 5000, what: 'monitor disconnected' });
  await markerSeen(host, hostGot);
  assert.not.ok(hostGot.some((m) => m.payload === 'from-monitor'));
  assert.not.ok(boardGot.some((m) => m.payload === 'from-monitor'));
});

broker('a WebSocket client connects at /mqtt and subscribes', async ({ clients, tcp, desk }) => {
  assert.type(desk.wsPort, 'number');
  const ws = await clients.connect(`ws://127.0.0.1:${desk.wsPort}/mqtt`, 'monitor');
  const got = collect(ws);
  await ws.subscribeAsync(`deskbox/${DESK}/boards/+/telemetry`);
  const b02 = await clients.connect(tcp, 'b02');
  await b02.publishAsync(boardTopic(DESK, 'b02', 'telemetry'), 'over-ws', { qos: 1 });
  await waitFor(() => got.some((m) => m.payload === 'over-ws'), { timeoutMs: 5000, what: 'message over WebSocket' });

  const elsewhere = await clients.connect(`ws://127.0.0.1:${desk.wsPort}/other`, 'monitor').catch((e: Error) => e);
  assert.instance(elsewhere, Error, 'only /mqtt upgrades');
});

broker('$SYS statistics reach the host and the monitor', async ({ clients, tcp }) => {
  for (const user of ['host', 'monitor'] as const) {
    const c = await clients.connect(tcp, user);
    const got = collect(c);
    await c.subscribeAsync('$SYS/deskbox/broker/#');
    const topics = Object.values(STATS_TOPICS);
    await waitFor(() => topics.every((t) => got.some((m) => m.topic === t)), { timeoutMs: 5000, what: `${user}: every stats topic` });
    const json = got.find((m) => m.topic === STATS_TOPICS.stats)!;
    const snap = JSON.parse(json.payload) as StatsSnapshot;
    assert.is(snap.v, 1);
    assert.ok(snap.clients >= 1, 'counts this client');
    assert.ok(snap.subscriptions >= 1, 'counts this subscription');
    assert.type(snap.retained, 'number');
    assert.type(snap.received.perSec, 'number');
    assert.type(snap.sent.total, 'number');
    for (const t of topics.filter((t) => t !== STATS_TOPICS.stats)) {
      const value = got.find((m) => m.topic === t)!.payload;
      assert.ok(Number.isFinite(Number(value)), `${t} is a plain number: ${value}`);
    }
    assert.ok(got.every((m) => !m.retain), 'stats are not retained');
  }
});

broker("a board's last will is published, retained, when its socket dies", async ({ clients, tcp }) => {
  const status = boardTopic(DESK, 'b02', 'status');
  const offline = '{"v":1,"state":"offline","board":"b02","reason":"lastwill"}';
  const b02 = await clients.connect(tcp, 'b02', { will: { topic: status, payload: Buffer.from(offline), qos: 1, retain: true } });
  const watcher = await clients.connect(tcp, 'monitor');
  const live = collect(watcher);
  await watcher.subscribeAsync(status);
  b02.stream.destroy();
  await waitFor(() => live.some((m) => m.payload === offline), { timeoutMs: 5000, what: 'will delivered live' });

  const late = await clients.connect(tcp, 'host');
  const replay = collect(late);
  await late.subscribeAsync(status);
  await waitFor(() => replay.length > 0, { timeoutMs: 5000, what: 'will replayed to a new subscriber' });
  assert.equal(replay[0], { topic: status, payload: offline, retain: true });
});

broker('availability: the broker answers each status with a retained plain word, the last will included; boards may not write it', async ({ clients, tcp, desk }) => {
  const status = boardTopic(DESK, 'b01', 'status');
  const availability = boardTopic(DESK, 'b01', 'availability');
  const online = '{"v":1,"state":"online","board":"b01","version":"0.1.0","phases":[],"at":1}';
  const offline = '{"v":1,"state":"offline","board":"b01","reason":"lastwill"}';
  // Read by software nobody here wrote: mosquitto_sub, as a monitor, prints the retained word
  // and exits (or, with nothing retained, times out: exit 27).
  const retained = () => runProgram('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(desk.tcpPort), '-u', 'monitor', '-P', 'monitor-pw',
    '-t', availability, '--retained-only', '-C', '1', '-W', '1'], { timeoutMs: 10_000 });
  const says = (word: string) => async () => {
    const r = await retained();
    return word === '' ? r.code === 27 && r.stdout === '' : r.code === 0 && r.stdout === `${word}\n`;
  };

  const b01 = await clients.connect(tcp, 'b01', { will: { topic: status, payload: Buffer.from(offline), qos: 1, retain: true } });
  await b01.publishAsync(status, online, { qos: 1, retain: true });
  await waitFor(says('online'), { timeoutMs: 10_000, what: 'retained online' });

  // Writing the broker's topic gets the board dropped, which is no clean disconnect: its will speaks.
  void b01.publishAsync(availability, 'offline', { qos: 1 }).catch(() => undefined);
  await waitFor(closed(b01), { timeoutMs: 5000, what: "the board dropped for writing the broker's topic" });
  await waitFor(says('offline'), { timeoutMs: 10_000, what: 'the will turned availability offline' });

  const host = await clients.connect(tcp, 'host');
  await host.publishAsync(status, '', { qos: 1, retain: true });
  await waitFor(says(''), { timeoutMs: 10_000, what: 'a cleared status clears the availability' });
});

broker("Home Assistant's own user announces itself (birth, and its will) and reads the desk; nothing more", async ({ clients, tcp }) => {
  const will = { topic: 'homeassistant/status', payload: Buffer.from('offline'), qos: 1 as const, retain: true };
  const ha = await clients.connect(tcp, 'homeassistant', { will });
  await ha.subscribeAsync([`deskbox/${DESK}/#`, 'homeassistant/#']);
  await ha.publishAsync('homeassistant/status', 'online', { qos: 1, retain: true });
  const host = await clients.connect(tcp, 'host');
  const got = collect(host);
  await host.subscribeAsync('homeassistant/status');
  await waitFor(() => got.some((m) => m.payload === 'online'), { timeoutMs: 5000, what: "Home Assistant's birth" });
  ha.stream.destroy();
  await waitFor(() => got.some((m) => m.payload === 'offline'), { timeoutMs: 5000, what: "Home Assistant's will" });
  const again = await clients.connect(tcp, 'homeassistant');
  void again.publishAsync('homeassistant/sensor/x/y/config', '{}', { qos: 1 }).catch(() => undefined);
  await waitFor(closed(again), { timeoutMs: 5000, what: 'dropped for publishing a discovery config' });
});

broker('a last will its owner could not publish is refused at CONNECT', async ({ clients, tcp, logs }) => {
  const will = { topic: boardTopic(DESK, 'b02', 'status'), payload: Buffer.from('forged'), qos: 0 as const, retain: true };
  const err = await clients.connect(tcp, 'b01', { will }).catch((e: { code?: number }) => e);
  assert.is((err as { code?: number }).code, 5, 'CONNACK 5: not authorized');
  assert.ok(logs.some((r) => r.msg === 'connect refused' && String(r.fields?.reason).includes('last will')));
});

broker('board client ids are reserved: no takeover of a board session', async ({ clients, tcp, logs }) => {
  const thief = await clients.connect(tcp, 'host', { clientId: 'deskbox-d1-b01' }).catch((e: { code?: number }) => e);
  assert.is((thief as { code?: number }).code, 5, 'CONNACK 5: not authorized');
  const wrongId = await clients.connect(tcp, 'b01', { clientId: 'not-my-id' }).catch((e: { code?: number }) => e);
  assert.is((wrongId as { code?: number }).code, 5);
  assert.ok(logs.some((r) => r.msg === 'connect refused' && String(r.fields?.reason).includes('belongs to board b01')));
  const owner = await clients.connect(tcp, 'b01');
  assert.ok(owner.connected);
});

broker('a refused filter in a mixed SUBSCRIBE never delivers, not even to a resumed session', async ({ clients, tcp }) => {
  const host = await clients.connect(tcp, 'host');
  const session = { clean: false };
  const b01 = await clients.connect(tcp, 'b01', session);
  // mqtt.js rejects a SUBACK holding a refusal; the packet still says what was granted.
  const suback = await b01.subscribeAsync([boardTopic(DESK, 'b01', 'cmd'), boardTopic(DESK, 'b02', 'cmd')], { qos: 1 })
    .then(() => undefined, (e: { packet?: { granted: number[] } }) => e.packet);
  assert.equal(suback?.granted, [1, 128]);
  await b01.endAsync();
  await host.publishAsync(boardTopic(DESK, 'b02', 'cmd'), 'for b02 only', { qos: 1 });
  await host.publishAsync(boardTopic(DESK, 'b01', 'cmd'), 'for b01', { qos: 1 });
  // Listen before CONNACK: a resumed session's queue is sent right after it.
  const got: string[] = [];
  const back = mqtt.connect(tcp, { protocolVersion: 4, reconnectPeriod: 0, clientId: boardClientId(DESK, 'b01'), username: 'b01', password: 'b01-pw', clean: false });
  back.on('message', (topic) => got.push(topic));
  try {
    await waitFor(() => got.includes(boardTopic(DESK, 'b01', 'cmd')), { timeoutMs: 5000, what: 'b01 own command' });
    assert.not.ok(got.includes(boardTopic(DESK, 'b02', 'cmd')), 'another board\'s command leaked');
  } finally {
    await back.endAsync(true);
  }
});

broker('a payload over 64 KiB is refused and never delivered', async ({ clients, tcp }) => {
  const host = await clients.connect(tcp, 'host');
  const got = collect(host);
  await host.subscribeAsync(`deskbox/${DESK}/#`, { qos: 1 });
  const b01 = await clients.connect(tcp, 'b01');
  b01.publish(boardTopic(DESK, 'b01', 'events'), Buffer.alloc(65 * 1024, 0x20), { qos: 0 });
  await waitFor(closed(b01), { timeoutMs: 5000, what: 'the oversized publisher to be cut off' });
  await markerSeen(host, got);
  assert.not.ok(got.some((m) => m.topic === boardTopic(DESK, 'b01', 'events')));
});

broker.run();

test('a taken port is a BrokerListenError, and nothing is left running', async () => {
  const logger = memoryLogger('broker');
  const first = await createDeskBroker({ users: await testUsers(), logger, wsPort: null });
  try {
    const err = await createDeskBroker({ users: await testUsers(), logger, port: first.tcpPort }).catch((e: unknown) => e);
    assert.instance(err, BrokerListenError);
    assert.is((err as BrokerListenError).listener, 'tcp');
    assert.is((err as BrokerListenError).port, first.tcpPort);
  } finally {
    await first.close();
  }
});

test('close() cuts connections that never sent CONNECT, and is idempotent', async () => {
  const desk = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker') });
  const silent = connectTcp(desk.tcpPort!, '127.0.0.1');
  const ended = new Promise<void>((resolve) => silent.once('close', () => resolve()));
  await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
  const started = Date.now();
  await Promise.all([desk.close(), desk.close()]);
  await ended;
  assert.ok(Date.now() - started < 2000, 'did not wait for the 30 s CONNECT timeout');
});

test.run();
