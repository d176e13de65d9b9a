/**
 * The board agent against a real broker on loopback, with simulated hardware and a manual
 * clock: energy integration, commands and their error replies, status on start and stop.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { createAgent, type Agent } from '../../board/agent.ts';
import type { BoardConfig } from '../../board/config/board-config.ts';
import { fileGpio } from '../../board/hal/gpio/sim.ts';
import { simPowerSensor } from '../../board/hal/power/sim.ts';
import { manualClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { createScheduler } from '../../board/runtime/scheduler.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { BoardEvent, Reply, Status, Telemetry } from '../../broker/contract/payloads.ts';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { createRequester } from '../../host/client/request.ts';
import { Clients, DESK, testUsers } from '../broker/support.ts';
import { waitFor } from '../support/wait.ts';
import { tempDirs } from '../support/temp-dir.ts';

const WATTS = 2;
const temps = tempDirs();
let dir = '';
let broker: DeskBroker;
let agent: Agent | undefined;
const clients = new Clients();
const clock = manualClock();
const logger = memoryLogger('board:b01');

test.before(async () => {
  dir = await temps.make('deskbox-agent-');
  broker = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), wsPort: null });
  await writeFile(join(dir, 'password'), 'b01-pw\n');
});

test.after(async () => {
  await agent?.stop();
  await clients.endAll();
  await broker.close();
  await temps.removeAll();
});

/** Moves the manual clock a second at a time, letting each second's async jobs finish. */
async function advance(seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
}

test('agent: online with boot phases, energy from power, commands answered, offline on stop', async () => {
  const host: MqttClient = await clients.connect(`mqtt://127.0.0.1:${broker.tcpPort}`, 'host');
  const seen = { status: [] as Status[], telemetry: [] as Telemetry[], events: [] as BoardEvent[], replies: [] as Reply[] };
  host.on('message', (topic, payload) => {
    const channel = topic.split('/')[4] as 'status' | 'telemetry' | 'events' | 'reply';
    const d = decode(channel, payload);
    if (!d.ok) return;
    if (channel === 'status') seen.status.push(d.value as Status);
    if (channel === 'telemetry') seen.telemetry.push(d.value as Telemetry);
    if (channel === 'events') seen.events.push(d.value as BoardEvent);
    if (channel === 'reply') seen.replies.push(d.value as Reply);
  });
  await host.subscribeAsync(`deskbox/${DESK}/boards/b01/#`, { qos: 1 });

  const config: BoardConfig = {
    v: 1, desk: DESK, board: 'b01',
    broker: { url: `mqtt://127.0.0.1:${broker.tcpPort}`, username: 'b01', passwordFile: join(dir, 'password') },
    tags: [], keepaliveS: 5, telemetryPeriodS: 5, samplePeriodS: 1,
    hardware: { power: 'sim', gpio: `sim:${dir}`, gpioLines: {}, console: '', consoleBaud: 115200 },
  };
  const gpio = fileGpio(dir);
  const sensor = simPowerSensor({ watts: WATTS, volts: 5, amps: WATTS / 5 });
  agent = createAgent({
    config,
    password: 'b01-pw',
    version: '9.9.9',
    boot: { powerOnAt: clock.now() - 500, agentStartAt: clock.now() - 200 },
    openHardware: async () => ({
      power: sensor, gpio,
      describe: () => ({ power: sensor.description, gpio: gpio.description, console: 'none' }),
      close: () => sensor.close(),
    }),
    clock,
    scheduler: createScheduler({ clock, logger, timezone: 'UTC' }),
    logger,
  });
  await agent.start();
  await waitFor(() => seen.status.some((s) => s.state === 'online' && s.phases.at(-1)?.phase === 'ready'), { timeoutMs: 5000, what: 'ready status' });
  const ready = seen.status.at(-1)!;
  assert.ok(ready.state === 'online' && ready.version === '9.9.9' && ready.hardware?.gpio === gpio.description);
  if (ready.state === 'online') assert.equal(ready.phases.map((p) => p.phase), ['power-on', 'agent-start', 'broker-connected', 'ready']);

  // Constant 2 W for 20 s is 40 J, whatever the sampling: the trapezoid rule is exact here.
  const t0 = clock.monotonic();
  const before = seen.telemetry.length;
  await advance(20);
  await waitFor(() => seen.telemetry.length >= before + 4, { timeoutMs: 5000, what: 'telemetry after 20 s' });
  const last = seen.telemetry.at(-1)!;
  const elapsedS = (clock.monotonic() - t0) / 1000;
  assert.ok(Math.abs(last.energyJ - WATTS * elapsedS) < 1e-6, `energy ${last.energyJ} J after ${elapsedS} s at ${WATTS} W`);
  assert.is(last.powerW, WATTS);

  const request = createRequester(host, DESK);
  assert.ok((await request('b01', 'ping')).ok);
  assert.ok((await request('b01', 'led', { mode: 'on' })).ok);
  assert.is((await readFile(join(dir, 'led'), 'utf8')).trim(), '1');
  const identify = await request('b01', 'identify', { seconds: 1 });
  assert.equal(identify.ok && identify.result, { seconds: 1, restores: 'on' });
  await advance(2);
  await waitFor(async () => (await readFile(join(dir, 'led'), 'utf8')).trim() === '1', { timeoutMs: 5000, what: 'the LED held on again after identify' });
  const bad = await request.raw('b01', 'led', { mode: 'disco' });
  assert.ok(!bad.ok && bad.error.code === 'bad-args');
  await waitFor(() => seen.events.some((e) => e.type === 'command-failed' && e.op === 'led' && e.code === 'bad-args'), { timeoutMs: 5000, what: 'a command-failed event' });

  // Malformed requests: not JSON, wrong version. Each is answered and reported, none crashes.
  await host.publishAsync(boardTopic(DESK, 'b01', 'cmd'), 'not json at all', { qos: 1 });
  await host.publishAsync(boardTopic(DESK, 'b01', 'cmd'), '{"v":2,"id":"future-1","op":"ping"}', { qos: 1 });
  await waitFor(() => seen.replies.filter((r) => !r.ok && r.error.code === 'bad-request').length === 2, { timeoutMs: 5000, what: 'two bad-request replies' });
  const replies = seen.replies.filter((r) => !r.ok);
  assert.ok(replies.some((r) => r.id === null), 'unparseable request answered with a null id');
  assert.ok(replies.some((r) => r.id === 'future-1' && !r.ok && /version/.test(r.error.message)));
  await waitFor(() => seen.events.filter((e) => e.type === 'payload-rejected').length === 2, { timeoutMs: 5000, what: 'payload-rejected events' });
  assert.ok(logger.records.some((r) => r.msg === 'malformed command dropped' && r.fields?.topic === boardTopic(DESK, 'b01', 'cmd')));
  assert.ok((await request('b01', 'ping')).ok, 'still answering');

  await agent.stop();
  agent = undefined;
  await waitFor(() => seen.status.at(-1)?.state === 'offline', { timeoutMs: 5000, what: 'shutdown status' });
  const off = seen.status.at(-1)!;
  assert.ok(off.state === 'offline' && off.reason === 'shutdown');
  assert.is((await readFile(join(dir, 'led'), 'utf8')).trim(), '0');
});

test.run();
