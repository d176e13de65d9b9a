/**
 * A QoS 0 publish flood must not bring the broker down. The crash this guards against
 * (RangeError in mqemitter's released -> _do recursion, see the `concurrency` comment in
 * broker/server.ts) needs a backlog of messages queued behind a subscriber that then
 * stops consuming them, so the subscriber here vanishes mid-flood and comes back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import { memoryLogger } from '../../platform/log.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { createDeskBroker } from '../../broker/server.ts';
import { Clients, DESK, testUsers } from './support.ts';
import { waitFor } from '../support/wait.ts';

const PUBLISHERS = 8;
const PER_PUBLISHER = 3000;
const VANISH_AFTER = 1000;
const DEADLINE_MS = 20_000;

test('8 clients flood QoS 0 while the deskbox/# subscriber vanishes: the broker survives', async () => {
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => crashes.push(err);
  process.on('uncaughtException', onCrash);
  // A crash would otherwise only surface as a timeout.
  const unlessCrashed = (cond: () => boolean) => () => {
    if (crashes.length) throw crashes[0];
    return cond();
  };

  const desk = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), wsPort: null });
  const tcp = `mqtt://127.0.0.1:${desk.tcpPort}`;
  const clients = new Clients();
  try {
    const sub = await clients.connect(tcp, 'host', { clientId: 'flood-sub', reconnectPeriod: 20 });
    let before = 0;
    let after = 0;
    let vanished = false;
    let reconnected = false;
    sub.on('connect', () => (reconnected = true));
    sub.on('message', () => {
      if (vanished) return void after++;
      if (++before < VANISH_AFTER) return;
      vanished = true;
      sub.stream.destroy();
    });
    await sub.subscribeAsync('deskbox/#');

    const pubs: MqttClient[] = [];
    for (let i = 0; i < PUBLISHERS; i++) pubs.push(await clients.connect(tcp, 'host', { clientId: `flood-${i}` }));
    const payload = Buffer.alloc(64, 0x2a);
    pubs.forEach((pub, i) => {
      const topic = boardTopic(DESK, `b${i}`, 'telemetry');
      for (let k = 0; k < PER_PUBLISHER; k++) pub.publish(topic, payload, { qos: 0 });
    });

    await waitFor(unlessCrashed(() => vanished && reconnected), { timeoutMs: DEADLINE_MS, what: 'subscriber vanished and reconnected' });
    await sub.subscribeAsync('deskbox/#');
    // QoS 1 from each publisher completes only after its QoS 0 backlog went through the broker.
    const ends = pubs.map((pub, i) => pub.publishAsync(boardTopic(DESK, `b${i}`, 'events'), 'end', { qos: 1 }));
    await Promise.all(ends);
    await waitFor(unlessCrashed(() => after >= PUBLISHERS), { timeoutMs: DEADLINE_MS, what: 'end markers after the flood' });

    assert.equal(crashes, [], 'no uncaught exception');
    assert.ok(before >= VANISH_AFTER, `subscriber got ${before} messages before vanishing`);
    assert.ok(after >= PUBLISHERS, `and ${after} after coming back`);
    const late = await clients.connect(tcp, 'monitor');
    assert.ok(late.connected, 'the broker still accepts connections');
  } finally {
    process.off('uncaughtException', onCrash);
    await clients.endAll();
    await desk.close();
  }
});

test.run();
