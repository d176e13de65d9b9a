/**
 * The desk broker keeps what it acknowledged and bounds what it keeps: a QoS 1 PUBACK comes only
 * after the store has the message; an offline persistent session keeps its newest messages up to
 * the bound, the dropped ones counted in $SYS and logged; a subscriber that stops reading is
 * disconnected after the drain timeout. Real broker, real mqtt.js clients, the SQLite store.
 *   node --import tsx node_modules/uvu/bin.js test "broker/durability"
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { memoryLogger } from '../../platform/log.ts';
import { boardClientId, boardTopic } from '../../broker/contract/topics.ts';
import { STATS_TOPICS } from '../../broker/contract/stats.ts';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { openSqlitePersistence, type SqlitePersistence } from '../../broker/persistence/sqlite.ts';
import { Clients, DESK, collect, testUsers } from './support.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';

const CMD = boardTopic(DESK, 'b01', 'cmd');
const B01 = boardClientId(DESK, 'b01');

/** A store whose offline-queue writes wait until released: "the store is slow to commit". */
function slowStore(store: SqlitePersistence) {
  let open!: () => void;
  const released = new Promise<void>((resolve) => (open = resolve));
  let held = 0;
  const persistence = new Proxy(store, {
    get(target, prop) {
      if (prop === 'outgoingEnqueueCombi') {
        return async (...args: Parameters<SqlitePersistence['outgoingEnqueueCombi']>) => {
          held++;
          await released;
          return target.outgoingEnqueueCombi(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { persistence, release: () => open(), held: () => held };
}

async function withBroker(opts: Partial<Parameters<typeof createDeskBroker>[0]>, body: (desk: DeskBroker, clients: Clients, tcp: string) => Promise<void>) {
  const desk = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), wsPort: null, ...opts });
  const clients = new Clients();
  try {
    await body(desk, clients, `mqtt://127.0.0.1:${desk.tcpPort}`);
  } finally {
    await clients.endAll();
    await desk.close();
  }
}

test('QoS 1: no PUBACK while the store has not committed the message', async () => {
  const store = await openSqlitePersistence({ path: ':memory:' });
  const slow = slowStore(store);
  try {
    await withBroker({ persistence: slow.persistence }, async (_desk, clients, tcp) => {
      const host = await clients.connect(tcp, 'host');
      let acked = false;
      const publishing = host.publishAsync(CMD, '{"v":1}', { qos: 1 }).then(() => (acked = true));
      await waitFor(() => slow.held() > 0, { timeoutMs: 5000, what: 'the store asked to queue the message' });
      await new Promise((r) => setTimeout(r, 300));
      assert.is(acked, false, 'no PUBACK for 300 ms while the store holds the write');
      slow.release();
      await publishing;
      assert.ok(acked, 'PUBACK once the write settled');
    });
  } finally {
    await store.destroy();
  }
});

test('QoS 1: at PUBACK the retained copy and the offline queue entry are in the database file', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-durability-');
  const path = join(dir, 'store.db');
  const store = await openSqlitePersistence({ path });
  const reader = new Database(path, { readonly: true });
  try {
    await withBroker({ persistence: store }, async (_desk, clients, tcp) => {
      const board = await clients.connect(tcp, 'b01', { clean: false });
      await board.subscribeAsync(CMD, { qos: 1 });
      await board.endAsync();
      const host = await clients.connect(tcp, 'host');
      const rows: { retained: number; queued: number }[] = [];
      // Read the moment the PUBACK is parsed, from another connection: what a crash would leave.
      host.on('packetreceive', (packet) => {
        if (packet.cmd !== 'puback') return;
        rows.push({
          retained: reader.prepare('SELECT count(*) FROM retained WHERE topic = ?').pluck().get(CMD) as number,
          queued: reader.prepare('SELECT count(*) FROM outgoing WHERE client_id = ?').pluck().get(B01) as number,
        });
      });
      for (let i = 1; i <= 20; i++) await host.publishAsync(CMD, `{"v":1,"n":${i}}`, { qos: 1, retain: true });
      assert.is(rows.length, 20);
      assert.equal(rows[0], { retained: 1, queued: 1 });
      assert.equal(rows.map((r) => r.queued), Array.from({ length: 20 }, (_, i) => i + 1), 'every message queued before its PUBACK');
    });
  } finally {
    reader.close();
    await store.destroy();
    await removeDir();
  }
});

test('an offline session keeps its newest messages up to the bound; the dropped are counted and logged', async () => {
  const BOUND = 5;
  const SENT = 12;
  const store = await openSqlitePersistence({ path: ':memory:' });
  const logger = memoryLogger('broker');
  try {
    await withBroker({ persistence: store, logger, maxQueuedPerSession: BOUND, statsIntervalMs: 50 }, async (_desk, clients, tcp) => {
      const host = await clients.connect(tcp, 'host');
      const sys = collect(host);
      await host.subscribeAsync(STATS_TOPICS.dropped);

      let board = await clients.connect(tcp, 'b01', { clean: false });
      await board.subscribeAsync(CMD, { qos: 1 });
      // Online, nothing is dropped: the queue is only what is in flight.
      let got = collect(board);
      for (let i = 0; i < SENT; i++) await host.publishAsync(CMD, `online ${i}`, { qos: 1 });
      await waitFor(() => got.length === SENT, { timeoutMs: 5000, what: 'all online messages' });
      await board.endAsync();

      for (let i = 0; i < SENT; i++) await host.publishAsync(CMD, `offline ${i}`, { qos: 1 });
      const dropped = () => Number(sys.at(-1)?.payload ?? -1);
      await waitFor(() => dropped() === SENT - BOUND, { timeoutMs: 5000, what: '$SYS counts the dropped messages' });

      board = await clients.connect(tcp, 'b01', { clean: false });
      got = collect(board);
      await waitFor(() => got.length >= BOUND, { timeoutMs: 5000, what: 'the queue drained' });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(got.map((m) => m.payload), Array.from({ length: BOUND }, (_, i) => `offline ${SENT - BOUND + i}`), 'the newest, in order');

      const full = logger.records.filter((r) => r.msg.startsWith('offline queue full'));
      assert.is(full.length, 1, 'one warning when the queue first overflows, not one per message');
      assert.equal(full[0]!.fields, { clientId: B01, bound: BOUND });
      const back = logger.records.find((r) => r.msg.startsWith('session back'));
      assert.equal(back?.fields, { clientId: B01, dropped: SENT - BOUND, bound: BOUND });
    });
  } finally {
    await store.destroy();
  }
});

test('a subscriber that stops reading is disconnected after the drain timeout; publishers go on', async () => {
  const logger = memoryLogger('broker');
  await withBroker({ logger, drainTimeoutMs: 300 }, async (desk, clients, tcp) => {
    const stuck = await clients.connect(tcp, 'monitor', { clientId: 'stuck' });
    await stuck.subscribeAsync('deskbox/#');
    // Stop reading: nothing takes the socket's data any more, so the kernel's buffers fill.
    stuck.stream.unpipe();
    stuck.stream.pause();
    let gone = false;
    desk.broker.on('clientDisconnect', (c) => { if (c.id === 'stuck') gone = true; });

    const host = await clients.connect(tcp, 'host');
    const payload = Buffer.alloc(60_000, 0x2a);
    const t0 = performance.now();
    for (let i = 0; i < 400 && !gone; i++) host.publish(`deskbox/${DESK}/load`, payload, { qos: 0 });
    await waitFor(() => gone, { timeoutMs: 15_000, what: 'the stuck subscriber disconnected' });
    const ms = performance.now() - t0;
    assert.ok(logger.records.some((r) => r.msg === 'client error' && r.fields?.clientId === 'stuck' && r.fields?.error === 'drain timeout'));
    await host.publishAsync(`deskbox/${DESK}/after`, 'x', { qos: 1 });
    console.log(`  a subscriber that stopped reading was cut ${ms.toFixed(0)} ms after the flood began (drain timeout 300 ms)`);
  });
});

test.run();
