import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Client } from 'aedes';
import { manualClock } from '../../platform/clock.ts';
import { BrokerStats, retainedCounter } from '../../broker/stats.ts';
import { createStatsFold, STATS_NODE_GONE_MS, type StatsSnapshot } from '../../broker/contract/stats.ts';

const fakeClient = () => ({ closed: false }) as unknown as Client & { closed: boolean };

test('rates are per second over the interval since the previous snapshot', () => {
  const clock = manualClock();
  const stats = new BrokerStats(clock);
  for (let i = 0; i < 50; i++) stats.countReceived();
  for (let i = 0; i < 120; i++) stats.countSent();
  clock.advance(10_000);
  const first = stats.snapshot(3, 7);
  assert.equal(
    { ...first, at: 0 },
    {
      v: 1, at: 0, uptimeS: 10, clients: 3, subscriptions: 0, retained: 7,
      received: { total: 50, perSec: 5 }, sent: { total: 120, perSec: 12 }, dropped: 0,
    },
  );
  assert.is(first.at, clock.now());
  stats.countReceived();
  clock.advance(2_000);
  const second = stats.snapshot(3, null);
  assert.equal(second.received, { total: 51, perSec: 0.5 });
  assert.equal(second.sent, { total: 120, perSec: 0 });
  assert.is(second.uptimeS, 12);
});

test('messages dropped from full offline queues are a running total', () => {
  const stats = new BrokerStats(manualClock());
  stats.countDropped(3);
  stats.countDropped(4);
  assert.is(stats.snapshot(0, null).dropped, 7);
  assert.is(stats.snapshot(0, null).dropped, 7, 'not a rate: the next snapshot still says 7');
});

test('subscriptions: distinct filters of clients that are still open', () => {
  const stats = new BrokerStats(manualClock());
  const a = fakeClient();
  const b = fakeClient();
  stats.subscribed(a, 'deskbox/#');
  stats.subscribed(a, 'deskbox/#');
  stats.subscribed(a, '$SYS/#');
  stats.subscribed(b, 'deskbox/d1/boards/b01/cmd');
  assert.is(stats.snapshot(2, null).subscriptions, 3);
  stats.unsubscribed(a, ['$SYS/#', 'never-subscribed']);
  assert.is(stats.snapshot(2, null).subscriptions, 2);
  b.closed = true;
  assert.is(stats.snapshot(1, null).subscriptions, 1);
});

test('retained messages are counted when the persistence can stream them', async () => {
  const persistence = { createRetainedStream: async function* () { yield 1; yield 2; } };
  assert.is(await retainedCounter(persistence)!(), 2);
  assert.is(retainedCounter({}), undefined);
  assert.is(retainedCounter(undefined), undefined);
});

const snap = (node: string | undefined, at: number, clients: number, perSec: number, retained = 7): StatsSnapshot => ({
  v: 1, at, uptimeS: clients * 10, clients, subscriptions: clients * 2, retained,
  received: { total: clients * 100, perSec }, sent: { total: clients * 200, perSec: perSec * 2 }, dropped: clients,
  ...(node !== undefined ? { node } : {}),
});

test('a cluster\'s nodes are added up; the shared retained count is not; a silent node drops out', () => {
  const fold = createStatsFold();
  assert.is(fold.current(), undefined);
  const one = snap(undefined, 1000, 4, 10);
  fold.add(one);
  assert.equal(fold.current(), one, 'a single broker passes through');

  const cluster = createStatsFold();
  cluster.add(snap('node0', 1000, 4, 10, 7));
  cluster.add(snap('node1', 2000, 3, 5, 8));
  cluster.add(snap('node0', 3000, 5, 12, 8)); // node0's newer figures replace its older ones
  assert.equal(cluster.current(), {
    v: 1, at: 3000, uptimeS: 50, clients: 8, subscriptions: 16, retained: 8,
    received: { total: 800, perSec: 17 }, sent: { total: 1600, perSec: 34 }, dropped: 8,
  });
  cluster.add(snap('node0', 3000 + STATS_NODE_GONE_MS + 1, 5, 12));
  assert.is(cluster.current()!.clients, 5, 'node1, silent for a minute, is no longer counted');
});

test.run();
