/**
 * The store's deferred bookkeeping (persistence/sqlite-batch.ts 'soon', sqlite-outgoing.ts): a
 * QoS 1 delivery's packet id settles before its commit and a PUBACK's delete waits for a batch
 * to ride in, but both reach the file within LAZY_MS, reads still see them in order, and QoS 2
 * and the enqueue itself stay committed before they settle. A second connection on the WAL
 * file shows what is committed.
 *   node --import tsx node_modules/uvu/bin.js test "broker/lazy-commit"
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { LAZY_MS } from '../../broker/persistence/sqlite-batch.ts';
import { openSqlitePersistence } from '../../broker/persistence/sqlite.ts';
import type { PersistedPacket } from '../../broker/persistence/sqlite-packets.ts';
import { tempDir } from '../support/temp-dir.ts';

const client = { id: 'deskbox-test-host' };

function packet(qos: 1 | 2, counter: number): PersistedPacket {
  return { cmd: 'publish', topic: 'deskbox/t/boards/b01/telemetry', payload: Buffer.from('{}'), qos, retain: false, dup: false, brokerId: 'broker-1', brokerCounter: counter };
}

async function withStore(body: (store: Awaited<ReturnType<typeof openSqlitePersistence>>, committedIds: () => Array<number | null>) => Promise<void>) {
  const dir = await tempDir('deskbox-lazy-commit-');
  const path = join(dir.path, 'store.db');
  const store = await openSqlitePersistence({ path });
  const reader = new Database(path, { readonly: true });
  const rows = reader.prepare<[], number | null>('SELECT message_id FROM outgoing ORDER BY seq').pluck();
  try {
    await body(store, () => rows.all());
  } finally {
    reader.close();
    await store.destroy();
    await dir.remove();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a QoS 1 packet id settles at once and is committed within LAZY_MS; a read right after sees it', () => withStore(async (store, committed) => {
  await store.outgoingEnqueue({ clientId: client.id }, packet(1, 1));
  assert.equal(committed(), [null], 'the enqueue is committed when it settles');
  await store.outgoingUpdate(client, { ...packet(1, 1), messageId: 7 });
  assert.equal(committed(), [null], 'settled before its commit');
  await sleep(LAZY_MS * 4);
  assert.equal(committed(), [7], 'committed on its own within LAZY_MS');

  await store.outgoingEnqueue({ clientId: client.id }, packet(1, 2));
  await store.outgoingUpdate(client, { ...packet(1, 2), messageId: 8 });
  const queued: PersistedPacket[] = [];
  for await (const p of store.outgoingStream(client)) queued.push(p as PersistedPacket);
  assert.equal(queued.map((p) => p.messageId), [7, 8], 'a read queued after the update sees it');
}));

test('a PUBACK delete rides with the next urgent batch, and its row comes back', () => withStore(async (store, committed) => {
  await store.outgoingEnqueue({ clientId: client.id }, packet(1, 1));
  await store.outgoingUpdate(client, { ...packet(1, 1), messageId: 7 });
  const cleared = store.outgoingClearMessageId(client, { cmd: 'puback', messageId: 7 });
  // An urgent write queued behind it commits both at the end of this turn.
  await store.outgoingEnqueue({ clientId: client.id }, packet(1, 2));
  assert.equal(committed(), [null], 'the delete is committed no later than the enqueue');
  assert.equal((await cleared)?.brokerCounter, 1, 'the delete hands back the packet');
}));

test('a QoS 2 packet id is committed before it settles', () => withStore(async (store, committed) => {
  await store.outgoingEnqueue({ clientId: client.id }, packet(2, 1));
  await store.outgoingUpdate(client, { ...packet(2, 1), messageId: 9 });
  assert.equal(committed(), [9]);
}));

test('a deferred update that fails is reported, not thrown at aedes', async () => {
  const errors: Error[] = [];
  const store = await openSqlitePersistence({ path: ':memory:', onError: (e) => errors.push(e) });
  try {
    await store.outgoingUpdate(client, { ...packet(1, 99), messageId: 3 });
    await sleep(LAZY_MS * 4);
    assert.equal(errors.map((e) => e.name), ['NoSuchPacketError']);
  } finally {
    await store.destroy();
  }
});

test.run();
