/**
 * `$SYS`: the host and monitor roles read the desk's statistics (`$SYS/deskbox/...`) and nothing
 * of what aedes publishes about itself under `$SYS/<broker id>/...` (every client id as it
 * connects, every subscription as it is made). Real broker, real mqtt.js clients.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryLogger } from '../../platform/log.ts';
import { STATS_TOPICS } from '../../broker/contract/stats.ts';
import { createDeskBroker } from '../../broker/server.ts';
import { Clients, collect, testUsers } from './support.ts';
import { waitFor } from '../support/wait.ts';

test('a $SYS/# subscriber gets $SYS/deskbox/... and none of aedes\' $SYS/<broker id>/...', async () => {
  const desk = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), wsPort: null, statsIntervalMs: 50 });
  const tcp = `mqtt://127.0.0.1:${desk.tcpPort}`;
  const clients = new Clients();
  try {
    // What aedes publishes about itself, heard inside the broker: proof there was something to withhold.
    const own: string[] = [];
    desk.broker.subscribe(`$SYS/${desk.broker.id}/#`, (packet, cb) => { own.push(packet.topic); cb(); }, () => undefined);

    const monitor = await clients.connect(tcp, 'monitor', { clientId: 'sys-monitor' });
    const host = await clients.connect(tcp, 'host', { clientId: 'sys-host' });
    const seen = { monitor: collect(monitor), host: collect(host) };
    assert.equal((await monitor.subscribeAsync('$SYS/#')).map((g) => g.qos), [0], 'the subscription is granted');
    await host.subscribeAsync('$SYS/+/+/#');

    // Clients coming and subscribing: aedes announces each on $SYS/<id>/new/{clients,subscribes}.
    for (let i = 0; i < 3; i++) {
      const other = await clients.connect(tcp, 'monitor', { clientId: `other-${i}` });
      await other.subscribeAsync('deskbox/#');
    }
    const stats = (got: { topic: string }[]) => got.filter((m) => m.topic === STATS_TOPICS.stats).length;
    await waitFor(() => stats(seen.monitor) >= 2 && stats(seen.host) >= 2, { timeoutMs: 5000, what: 'two rounds of statistics' });

    assert.ok(own.some((t) => t.endsWith('/new/clients')) && own.some((t) => t.endsWith('/new/subscribes')), `aedes published ${own.join(', ')}`);
    for (const [who, got] of Object.entries(seen)) {
      const topics = [...new Set(got.map((m) => m.topic))];
      assert.equal(topics.filter((t) => !t.startsWith('$SYS/deskbox/')), [], `${who} got only $SYS/deskbox/...`);
      assert.ok(topics.includes(STATS_TOPICS.clients) && topics.includes(STATS_TOPICS.dropped), `${who} got the plain-number topics`);
    }
    console.log(`  aedes published ${own.length} $SYS/<broker id>/... messages: the monitor got none of them and ${seen.monitor.length} $SYS/deskbox/...`);
  } finally {
    await clients.endAll();
    await desk.close();
  }
});

test.run();
