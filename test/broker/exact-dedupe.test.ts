/**
 * Every live subscriber gets every message once (broker/exact-dedupe.ts): a retained publish
 * that reaches subscribers after a later one (it waits for its store write) is not taken for a
 * duplicate, and overlapping subscriptions still give one copy. Before, with a publisher's
 * messages in flight together, aedes delivered none of its retained ones live.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import { memoryLogger } from '../../platform/log.ts';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { waitFor } from '../support/wait.ts';
import { Clients, DESK, testUsers } from './support.ts';

const MESSAGES = 600;
let broker: DeskBroker;
const clients = new Clients();

test.before(async () => {
  broker = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker') });
});
test.after(async () => {
  await clients.endAll();
  await broker.close();
});

/** Every message a client gets, by payload. */
function record(client: MqttClient): Map<string, number> {
  const got = new Map<string, number>();
  client.on('message', (_topic, payload) => got.set(payload.toString(), (got.get(payload.toString()) ?? 0) + 1));
  return got;
}

test('retained and live messages in flight together all reach every subscriber, each once', async () => {
  const tcp = `mqtt://127.0.0.1:${broker.tcpPort}`;
  const plain = await clients.connect(tcp, 'monitor');
  const overlapping = await clients.connect(`ws://127.0.0.1:${broker.wsPort}/mqtt`, 'monitor');
  const [once, twice] = [record(plain), record(overlapping)];
  await plain.subscribeAsync(`deskbox/${DESK}/boards/+/telemetry`, { qos: 1 });
  await overlapping.subscribeAsync([`deskbox/${DESK}/boards/+/telemetry`, `deskbox/${DESK}/#`, 'deskbox/#'], { qos: 1 });
  const host = await clients.connect(tcp, 'host');
  const sent: Promise<unknown>[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const board = ['b01', 'b02', 'b03'][i % 3];
    // Mixed QoS too: a QoS 0 message goes through the subscriber's other delivery path.
    sent.push(host.publishAsync(`deskbox/${DESK}/boards/${board}/telemetry`, `m${i}`, { qos: i % 5 === 0 ? 0 : 1, retain: i % 2 === 0 }));
  }
  await Promise.all(sent);
  for (const [name, got] of [['plain', once], ['overlapping', twice]] as const) {
    await waitFor(() => got.size === MESSAGES, { timeoutMs: 10_000, what: () => `${name}: ${MESSAGES} messages, got ${got.size}` });
    assert.equal([...got.values()].filter((n) => n !== 1), [], `${name}: each message once`);
  }
});

test.run();
