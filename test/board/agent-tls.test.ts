/**
 * A board against a desk broker over mqtts (a desk CA and certificate as `desk up` makes them):
 * an agent whose config's `caFile` is the desk CA comes online; one given another CA does not
 * connect and says so once, as an error naming the CA file, instead of a retry line a second.
 *   node --import tsx node_modules/uvu/bin.js test/board 'agent-tls.test.ts$'
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAgent } from '../../board/agent.ts';
import { openBrokerConnection } from '../../board/broker-connection.ts';
import type { BoardConfig } from '../../board/config/board-config.ts';
import { fileGpio } from '../../board/hal/gpio/sim.ts';
import { simPowerSensor } from '../../board/hal/power/sim.ts';
import { createScheduler } from '../../board/runtime/scheduler.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import { createDeskBroker } from '../../broker/server.ts';
import { manualClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { ensureTls } from '../../host/tls/ensure-tls.ts';
import { tlsFiles } from '../../host/locations/tls-files.ts';
import { Clients, DESK, testUsers } from '../broker/support.ts';
import { tempDir } from '../support/temp-dir.ts';
import { waitFor } from '../support/wait.ts';

const dir = await tempDir('deskbox-agent-tls-');
const desk = tlsFiles(join(dir.path, 'desk'));
const other = tlsFiles(join(dir.path, 'other'));
await Promise.all([ensureTls(desk, { host: '127.0.0.1', label: 'deskbox desk' }), ensureTls(other, { host: '127.0.0.1', label: 'deskbox other' })]);
await writeFile(join(dir.path, 'password'), 'b01-pw\n');
const [cert, key] = await Promise.all([readFile(desk.serverCert), readFile(desk.serverKey)]);
const broker = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), tls: { cert, key } });
const clients = new Clients();

test.after(async () => {
  await clients.endAll();
  await broker.close();
  await dir.remove();
});

const config = (caFile: string): BoardConfig => ({
  v: 1, desk: DESK, board: 'b01',
  broker: { url: `mqtts://127.0.0.1:${broker.tlsPort}`, username: 'b01', passwordFile: join(dir.path, 'password'), caFile },
  tags: [], keepaliveS: 5, telemetryPeriodS: 5, samplePeriodS: 1,
  hardware: { power: 'sim', gpio: `sim:${dir.path}`, gpioLines: {}, console: '', consoleBaud: 115200 },
});

test('an agent with the desk CA comes online over mqtts', async () => {
  const host = await clients.connect(`mqtts://127.0.0.1:${broker.tlsPort}`, 'host', { ca: await readFile(desk.caCert) });
  const states: string[] = [];
  host.on('message', (_t, payload) => { const d = decode('status', payload); if (d.ok) states.push(d.value.state); });
  await host.subscribeAsync(boardTopic(DESK, 'b01', 'status'), { qos: 1 });
  const clock = manualClock();
  const logger = memoryLogger('board:b01');
  const sensor = simPowerSensor({ watts: 1, volts: 5, amps: 0.2 });
  const gpio = fileGpio(dir.path);
  const agent = createAgent({
    config: config(desk.caCert), password: 'b01-pw', version: '9.9.9', boot: { agentStartAt: clock.now() },
    openHardware: async () => ({ power: sensor, gpio, describe: () => ({ power: 'sim', gpio: 'sim', console: 'none' }), close: () => sensor.close() }),
    clock, scheduler: createScheduler({ clock, logger, timezone: 'UTC' }), logger,
  });
  try {
    await agent.start();
    await waitFor(() => states.includes('online'), { timeoutMs: 5000, what: 'b01 online over mqtts' });
  } finally {
    await agent.stop();
  }
  assert.ok(logger.records.some((r) => r.msg === 'connected' && r.fields?.broker === `mqtts://127.0.0.1:${broker.tlsPort}`));
});

test('a wrong CA: no connection, and one clear error naming the CA file', async () => {
  const logger = memoryLogger('board:b01');
  const client = openBrokerConnection({ config: config(other.caCert), password: 'b01-pw', will: { topic: boardTopic(DESK, 'b01', 'status'), payload: Buffer.from('{}') }, logger, onConnect: () => undefined });
  let failures = 0;
  client.on('error', () => failures++);
  try {
    // Three failed tries (one a second), so a line per try would show.
    await waitFor(() => failures >= 3, { timeoutMs: 10_000, what: 'three refused connections' });
  } finally {
    await client.endAsync(true);
  }
  const errors = logger.records.filter((r) => r.level === 'error');
  assert.is(errors.length, 1, `one error line, got: ${JSON.stringify(logger.records)}`);
  assert.is(errors[0]!.fields?.against, other.caCert);
  assert.match(String(errors[0]!.fields?.problem), /certificate/);
  assert.not.ok(logger.records.some((r) => r.msg === 'connected'));
});

test.run();
