/**
 * Regression: with the SQLite store, a retained QoS 1 publish waited for the group commit
 * before aedes forwarded it; a later plain publish overtook it, and aedes' duplicate filter
 * then dropped the retained one for every client receiving both (boards' retained telemetry
 * went missing between their replies and events). Every message must arrive.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { openSqlitePersistence } from '../../broker/persistence/sqlite.ts';
import { waitFor } from '../support/wait.ts';

test('retained and plain QoS 1 publishes interleaved: a wildcard subscriber gets every one', async () => {
  const persistence = await openSqlitePersistence({ path: ':memory:' });
  const broker = await Aedes.createBroker({ persistence, concurrency: 0 });
  const server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sub = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  const pub = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  try {
    const got: number[] = [];
    sub.on('message', (topic, payload) => { if (topic === 'b/telemetry') got.push(Number(payload.toString())); });
    await sub.subscribeAsync('#', { qos: 1 });
    let seq = 0;
    for (let i = 0; i < 200; i++) {
      pub.publish('b/reply', 'x', { qos: 1 });
      pub.publish('b/telemetry', String(seq++), { qos: 1, retain: true });
      pub.publish('b/events', 'y', { qos: 1 });
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor(async () => got.length >= seq, { timeoutMs: 10_000, what: 'every telemetry message' }).catch(() => undefined);
    const missing = Array.from({ length: seq }, (_, i) => i).filter((i) => !got.includes(i));
    assert.equal(missing, [], `${missing.length} of ${seq} retained messages never arrived`);
  } finally {
    await pub.endAsync();
    await sub.endAsync();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
    await persistence.destroy();
  }
});

test.run();
