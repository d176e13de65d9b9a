/**
 * What the SQLite store adds to the aedes-persistence interface and its file modes: it trims a
 * queue to its newest packets, and its files (which hold every queued and retained message) are
 * 0600 whatever the umask, also when an older store was 0644.
 */
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openSqlitePersistence } from '../../broker/persistence/sqlite.ts';
import { tempDir } from '../support/temp-dir.ts';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const packet = (n: number) => ({
  cmd: 'publish' as const, topic: 'deskbox/d1/boards/b01/cmd', payload: Buffer.from(`m${n}`),
  qos: 1 as const, retain: false, dup: false, brokerId: 'broker-1', brokerCounter: n,
});

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-store-');
  try {
    await body(dir);
  } finally {
    await removeDir();
  }
}

test('trimOutgoing keeps a client\'s newest packets, in order, and no other client\'s', async () => {
  const store = await openSqlitePersistence({ path: ':memory:' });
  try {
    await store.setup({ id: 'broker-1' } as never);
    for (let n = 1; n <= 8; n++) await store.outgoingEnqueueCombi([{ clientId: 'a' }, { clientId: 'b' }], packet(n));
    assert.is(await store.trimOutgoing('a', 3), 5);
    assert.is(await store.trimOutgoing('a', 3), 0, 'nothing more to drop');
    const read = async (clientId: string) => {
      const payloads: string[] = [];
      for await (const p of store.outgoingStream({ id: clientId })) payloads.push(String((p as { payload: Buffer }).payload));
      return payloads;
    };
    assert.equal(await read('a'), ['m6', 'm7', 'm8']);
    assert.is((await read('b')).length, 8);
  } finally {
    await store.destroy();
  }
});

test('the store and its -wal and -shm are 0600 under umask 000', async () => {
  const umask = process.umask(0);
  try {
    await inTempDir(async (dir) => {
      const path = join(dir, 'store.db');
      const store = await openSqlitePersistence({ path });
      await store.storeRetained(packet(1));
      await store.outgoingEnqueueCombi([{ clientId: 'a' }], packet(2));
      assert.equal([path, `${path}-wal`, `${path}-shm`].map(mode), ['600', '600', '600']);
      await store.destroy();
    });
  } finally {
    process.umask(umask);
  }
});

test('an older store left 0644 is narrowed to 0600 when opened', async () => {
  await inTempDir(async (dir) => {
    const path = join(dir, 'store.db');
    const first = await openSqlitePersistence({ path });
    await first.destroy();
    chmodSync(path, 0o644);
    writeFileSync(`${path}-wal`, '');
    chmodSync(`${path}-wal`, 0o644);
    const again = await openSqlitePersistence({ path });
    assert.equal([path, `${path}-wal`].map(mode), ['600', '600']);
    await again.destroy();
  });
});

test.run();
