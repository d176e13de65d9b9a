/**
 * Two broker nodes sharing one redis-server (broker/cluster.ts): a board on one node and the
 * host on the other exchange live and retained messages both ways, a persistent session left on
 * one node finds its queued QoS 1 messages on the other, and the same users file gates both.
 *   node --import tsx node_modules/uvu/bin.js test/broker cluster
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openClusterStore, openRedisPersistence, type ClusterStore } from '../../broker/cluster.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { createStatsFold, decodeStats, STATS_TOPICS } from '../../broker/contract/stats.ts';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { startRedisServer, type RedisServer } from '../../host/desk/redis-server.ts';
import { memoryLogger } from '../../platform/log.ts';
import { Clients, collect, DESK, testUsers } from './support.ts';
import { waitFor } from '../support/wait.ts';

interface Node {
  broker: DeskBroker;
  store: ClusterStore;
  url: string;
}

let redis: RedisServer | undefined;
const nodes: Node[] = [];
const clients = new Clients();

async function startNode(url: string, stats: { node?: string; statsIntervalMs?: number } = {}): Promise<Node> {
  const logger = memoryLogger('node');
  const store = openClusterStore(url, () => undefined);
  const broker = await createDeskBroker({ users: await testUsers(), persistence: store.persistence, mq: store.mq, logger, wsPort: null, statsIntervalMs: 60_000, ...stats });
  const node = { broker, store, url: `mqtt://127.0.0.1:${broker.tcpPort}` };
  nodes.push(node);
  return node;
}

test.after.each(async () => {
  await clients.endAll();
  for (const n of nodes.splice(0)) {
    await n.broker.close();
    await n.store.destroy();
  }
  await redis?.stop();
  redis = undefined;
});

const status = boardTopic(DESK, 'b01', 'status');
const events = boardTopic(DESK, 'b01', 'events');

test('a board on node A and the host on node B: live QoS 1 and retained messages cross', async () => {
  redis = await startRedisServer();
  const [a, b] = [await startNode(redis.url), await startNode(redis.url)];
  const board = await clients.connect(a.url, 'b01');
  const host = await clients.connect(b.url, 'host');
  const got = collect(host);
  await host.subscribeAsync(`deskbox/${DESK}/boards/+/events`, { qos: 1 });
  await board.publishAsync(status, '{"state":"online"}', { qos: 1, retain: true });
  for (let i = 0; i < 20; i++) await board.publishAsync(events, String(i), { qos: 1 });
  await waitFor(() => got.length === 20, { timeoutMs: 5000, what: () => `20 events on node B, got ${got.length}` });
  assert.equal(got.map((m) => m.payload), [...Array(20).keys()].map(String));
  // A retained status published through A is served by B (and A) to a later subscriber.
  for (const n of [a, b]) {
    const late = await clients.connect(n.url, 'monitor');
    const seen = collect(late);
    await late.subscribeAsync(status, { qos: 1 });
    await waitFor(() => seen.length === 1, { timeoutMs: 5000, what: 'the retained status' });
    assert.equal(seen[0], { topic: status, payload: '{"state":"online"}', retain: true });
  }
});

test('a persistent session left on node B gets its queued QoS 1 messages from node A', async () => {
  redis = await startRedisServer();
  const [a, b] = [await startNode(redis.url), await startNode(redis.url)];
  const host = await clients.connect(b.url, 'host', { clientId: 'desk-host', clean: false });
  await host.subscribeAsync(events, { qos: 1 });
  await host.endAsync();
  const board = await clients.connect(a.url, 'b01');
  for (let i = 0; i < 10; i++) await board.publishAsync(events, String(i), { qos: 1 });
  const again = await clients.connect(a.url, 'host', { clientId: 'desk-host', clean: false });
  const got = collect(again);
  await waitFor(() => got.length === 10, { timeoutMs: 5000, what: () => `10 queued events, got ${got.length}` });
  assert.equal(got.map((m) => m.payload), [...Array(10).keys()].map(String));
});

test('the same users file on both nodes: a wrong password and a board outside its topics are refused on each', async () => {
  redis = await startRedisServer();
  const [a, b] = [await startNode(redis.url), await startNode(redis.url)];
  for (const n of [a, b]) {
    const wrongPassword = await clients.connect(n.url, undefined, { username: 'host', password: 'wrong' }).then(() => false, () => true);
    assert.ok(wrongPassword, 'a wrong password is refused');
    const board = await clients.connect(n.url, 'b02');
    // mqtt.js rejects a SUBACK whose grant is 128 (failure).
    const refused = await board.subscribeAsync(`deskbox/${DESK}/boards/b01/cmd`, { qos: 1 }).then(() => false, () => true);
    assert.ok(refused, 'b02 may not read b01 commands');
  }
});
test('a will left on a dead node is not published once its client connected to a live node with a will there', async () => {
  redis = await startRedisServer();
  const store = (id: string) => {
    const p = openRedisPersistence(redis!.url) as unknown as { setup(b: object): Promise<void>; destroy(): Promise<void>; putWill(c: object, w: object): Promise<void>; streamWill(b?: object): AsyncIterable<{ clientId: string; brokerId: string }> };
    return { p, ready: p.setup({ id, subscribe: (_t: string, _f: unknown, cb: () => void) => cb(), unsubscribe: (_t: string, _f: unknown, cb: () => void) => cb() }) };
  };
  const [dead, live] = [store('node-dead'), store('node-live')];
  await Promise.all([dead.ready, live.ready]);
  const will = () => ({ topic: status, payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true });
  await dead.p.putWill({ id: 'b01' }, will());
  await dead.p.putWill({ id: 'b02' }, will());
  await live.p.putWill({ id: 'b01' }, will()); // b01 failed over; b02 did not
  const toPublish = async (brokers: object) => { const out: string[] = []; for await (const w of live.p.streamWill(brokers)) out.push(`${w.brokerId}/${w.clientId}`); return out; };
  assert.equal(await toPublish({ 'node-live': Date.now() }), ['node-dead/b02']);
  // The stale one was deleted: with no live node at all, only b02's old will and b01's live one remain.
  assert.equal((await toPublish({})).sort(), ['node-dead/b02', 'node-live/b01']);
  await Promise.all([dead.p.destroy().catch(() => undefined), live.p.destroy().catch(() => undefined)]);
});

test('each node\'s $SYS figures carry its name, reach clients of every node, and add up', async () => {
  redis = await startRedisServer();
  const [a, b] = [await startNode(redis.url, { node: 'node0', statsIntervalMs: 200 }), await startNode(redis.url, { node: 'node1', statsIntervalMs: 200 })];
  const host = await clients.connect(a.url, 'host');
  await clients.connect(b.url, 'b01');
  const fold = createStatsFold();
  const from = new Set<string>();
  host.on('message', (topic, payload) => {
    if (topic !== STATS_TOPICS.stats) return;
    const d = decodeStats(payload);
    assert.ok(d.ok, 'a snapshot the contract accepts');
    if (d.ok) { fold.add(d.value); from.add(d.value.node!); }
  });
  await host.subscribeAsync(STATS_TOPICS.stats, { qos: 0 });
  await waitFor(() => from.size === 2 && fold.current()?.clients === 2, { timeoutMs: 5000, what: () => `snapshots from both nodes adding up to 2 clients (from ${[...from].join(', ')}: ${fold.current()?.clients})` });
  assert.equal([...from].sort(), ['node0', 'node1']);
});

test.run();
