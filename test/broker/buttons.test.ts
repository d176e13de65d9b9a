/**
 * Home Assistant's buttons and a board that goes away, against a real broker on loopback:
 * each press becomes one command with an id of its own, the homeassistant user can press
 * nothing but reboot and identify, and a board's offline status (its will, or a clean goodbye)
 * takes its retained telemetry with it, so a later reader sees no power for it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import { memoryLogger, type LogRecord } from '../../platform/log.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import { PRESS_DEADLINE_MS, pressOp } from '../../broker/contract/press.ts';
import type { Command } from '../../broker/contract/payloads.ts';
import { pressStep } from '../../broker/press-bridge.ts';
import { statusSteps } from '../../broker/availability-bridge.ts';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { Clients, DESK, collect, testUsers } from './support.ts';
import { waitFor } from '../support/wait.ts';
import { runProgram } from '../support/run-program.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

const pure = suite('press and status steps');

pure('a press of reboot or identify is a command with the id given and a deadline; anything else is nothing', () => {
  const step = pressStep(boardTopic(DESK, 'b01', 'press'), bytes('identify'), false, 'press-1', 1000);
  assert.equal(step && { topic: step.topic, command: JSON.parse(step.payload) as Command }, {
    topic: boardTopic(DESK, 'b01', 'cmd'), command: { v: 1, id: 'press-1', op: 'identify', deadline: 1000 + PRESS_DEADLINE_MS },
  });
  assert.ok(decode('cmd', step!.payload).ok, 'a command of the contract');
  assert.is(pressStep(boardTopic(DESK, 'b01', 'press'), bytes('reboot'), true, 'x', 0), undefined, 'a retained copy is no press');
  assert.is(pressStep(boardTopic(DESK, 'b01', 'press'), bytes('exec'), false, 'x', 0), undefined);
  assert.is(pressStep(boardTopic(DESK, 'b01', 'cmd'), bytes('reboot'), false, 'x', 0), undefined);
  assert.is(pressOp('PRESS'), undefined);
  assert.is(pressOp(bytes('x'.repeat(70_000))), undefined);
});

pure('an offline status clears the telemetry beside the availability word; online and cleared statuses leave it', () => {
  const status = boardTopic(DESK, 'b01', 'status');
  assert.equal(statusSteps(status, bytes('{"v":1,"state":"offline","board":"b01","reason":"lastwill"}')), [
    { topic: boardTopic(DESK, 'b01', 'availability'), payload: 'offline' },
    { topic: boardTopic(DESK, 'b01', 'telemetry'), payload: '' },
  ]);
  assert.equal(statusSteps(status, bytes('{"v":1,"state":"online","board":"b01"}')), [{ topic: boardTopic(DESK, 'b01', 'availability'), payload: 'online' }]);
  assert.equal(statusSteps(status, bytes('')), [{ topic: boardTopic(DESK, 'b01', 'availability'), payload: '' }]);
  assert.equal(statusSteps(boardTopic(DESK, 'b01', 'telemetry'), bytes('{"state":"offline"}')), []);
});

pure.run();

interface Ctx {
  desk: DeskBroker;
  logs: LogRecord[];
  clients: Clients;
  tcp: string;
}

const live = suite<Ctx>('buttons and offline boards on a real broker');

live.before(async (ctx) => {
  const logger = memoryLogger('broker');
  ctx.logs = logger.records;
  ctx.desk = await createDeskBroker({ users: await testUsers(), logger, statsIntervalMs: 60_000 });
  ctx.tcp = `mqtt://127.0.0.1:${ctx.desk.tcpPort}`;
  ctx.clients = new Clients();
});

live.after.each(async (ctx) => {
  await ctx.clients.endAll();
});

live.after(async (ctx) => {
  await ctx.clients?.endAll();
  await ctx.desk?.close();
});

const closed = (client: MqttClient) => () => !client.connected;

live('each press is one command with an id of its own; the homeassistant user is dropped for any other publish', async ({ clients, tcp, logs }) => {
  const board = await clients.connect(tcp, 'b01');
  const commands: Command[] = [];
  board.on('message', (topic, payload) => {
    const d = decode('cmd', payload);
    if (topic === boardTopic(DESK, 'b01', 'cmd') && d.ok) commands.push(d.value);
  });
  await board.subscribeAsync(boardTopic(DESK, 'b01', 'cmd'), { qos: 1 });

  // As Home Assistant's button publishes: QoS 0 (its default), not retained, the fixed payload.
  const ha = await clients.connect(tcp, 'homeassistant');
  const press = boardTopic(DESK, 'b01', 'press');
  const before = Date.now();
  await ha.publishAsync(press, 'identify', { qos: 0 });
  await ha.publishAsync(press, 'identify', { qos: 0 });
  await ha.publishAsync(press, 'reboot', { qos: 1 });
  await waitFor(() => commands.length === 3, { timeoutMs: 5000, what: () => `three commands, got ${JSON.stringify(commands)}` });
  assert.equal(commands.map((c) => c.op), ['identify', 'identify', 'reboot']);
  assert.is(new Set(commands.map((c) => c.id)).size, 3, 'a fresh id for every press');
  for (const c of commands) {
    assert.ok(c.deadline! >= before + PRESS_DEADLINE_MS && c.deadline! <= Date.now() + PRESS_DEADLINE_MS, 'deadline 10 s after the press');
    assert.equal(c.args, undefined, 'no arguments: the op\'s defaults');
  }
  assert.ok(logs.some((r) => r.msg === 'button pressed' && r.fields?.topic === press));

  // Anything else: the broker refuses the publish and drops the connection (MQTT 3.1.1 has no negative PUBACK).
  for (const [topic, payload, retain] of [
    [press, 'exec', false],
    [press, 'reboot', true],
    [boardTopic(DESK, 'b01', 'cmd'), '{"v":1,"id":"ha-1","op":"reboot"}', false],
    [boardTopic(DESK, 'b01', 'status'), '{"v":1,"state":"offline","board":"b01","reason":"shutdown"}', false],
    [`deskbox/${DESK}/health/b01/set`, '{"action":"retire"}', false],
    ['homeassistant/button/deskbox-d1-b01/reboot/config', '{}', false],
  ] as const) {
    const again = await clients.connect(tcp, 'homeassistant');
    void again.publishAsync(topic, payload, { qos: 1, retain }).catch(() => undefined);
    await waitFor(closed(again), { timeoutMs: 5000, what: `homeassistant dropped for ${topic} ${payload}` });
    assert.ok(logs.some((r) => r.msg === 'publish denied' && r.fields?.topic === topic && r.fields?.username === 'homeassistant'), `denial logged for ${topic}`);
  }
  const monitor = await clients.connect(tcp, 'monitor');
  void monitor.publishAsync(press, 'identify', { qos: 1 }).catch(() => undefined);
  await waitFor(closed(monitor), { timeoutMs: 5000, what: 'the monitor dropped for pressing' });
  // Nothing got through meanwhile: a press QoS 1 from a client already dropped cannot overtake this ping.
  const host = await clients.connect(tcp, 'host');
  await host.publishAsync(boardTopic(DESK, 'b01', 'cmd'), '{"v":1,"id":"host-ping","op":"ping"}', { qos: 1 });
  await waitFor(() => commands.some((c) => c.id === 'host-ping'), { timeoutMs: 5000, what: 'the host\'s ping' });
  assert.equal(commands.map((c) => c.op), ['identify', 'identify', 'reboot', 'ping'], 'no refused publish became a command');
});

live('a board that goes away leaves no retained telemetry: its will, or its clean goodbye, clears it', async ({ clients, tcp, desk }) => {
  const status = boardTopic(DESK, 'b02', 'status');
  const telemetry = boardTopic(DESK, 'b02', 'telemetry');
  const sample = JSON.stringify({ v: 1, board: 'b02', at: Date.now(), seq: 1, uptimeS: 5, powerW: 1.1, volts: 5, amps: 0.22, energyJ: 5.5, cpu: 0, memBytes: 1, guests: { running: 0, failed: 0 } });
  const online = JSON.stringify({ v: 1, state: 'online', board: 'b02', version: '0.1.0', bootedAt: Date.now() - 5000, uptimeS: 5, keepaliveS: 10, phases: [] });
  // A new subscriber's view, read by software nobody here wrote: mosquitto_sub prints the retained
  // telemetry and exits, or with nothing retained times out (exit 27).
  const retained = () => runProgram('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(desk.tcpPort), '-u', 'monitor', '-P', 'monitor-pw',
    '-t', telemetry, '--retained-only', '-C', '1', '-W', '1'], { timeoutMs: 10_000 });
  const watcher = await clients.connect(tcp, 'monitor');
  const seen = collect(watcher);
  await watcher.subscribeAsync(telemetry, { qos: 1 });

  for (const goodbye of ['will', 'shutdown'] as const) {
    const will = { topic: status, payload: Buffer.from('{"v":1,"state":"offline","board":"b02","reason":"lastwill"}'), qos: 1 as const, retain: true };
    const b02 = await clients.connect(tcp, 'b02', { will });
    await b02.publishAsync(status, online, { qos: 1, retain: true });
    await b02.publishAsync(telemetry, sample, { qos: 1, retain: true });
    await waitFor(async () => (await retained()).stdout === `${sample}\n`, { timeoutMs: 10_000, what: 'the sample retained while the board is on' });
    const cleared = seen.filter((m) => m.payload === '').length;
    if (goodbye === 'will') {
      b02.stream.destroy();
    } else {
      await b02.publishAsync(status, JSON.stringify({ v: 1, state: 'offline', board: 'b02', reason: 'shutdown', at: Date.now() }), { qos: 1, retain: true });
      await b02.endAsync();
    }
    await waitFor(() => seen.filter((m) => m.payload === '').length > cleared, { timeoutMs: 5000, what: `the telemetry cleared live after the ${goodbye}` });
    const after = await retained();
    assert.equal([after.code, after.stdout], [27, ''], `a new subscriber gets no telemetry after the ${goodbye}`);
  }
});

live.run();
