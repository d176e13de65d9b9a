/**
 * The SQLite persistence keeps a desk's MQTT state across a broker restart: a retained message
 * and a persistent session's QoS 1 messages queued while it was offline.
 *   node --import tsx node_modules/uvu/bin.js test/broker persistence
 */
import { EventEmitter, once } from 'node:events';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { type IClientOptions, type IConnackPacket, type MqttClient, connect } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type SqlitePersistence, openSqlitePersistence } from '../../broker/persistence/sqlite.ts';
import { tempDir } from '../support/temp-dir.ts';

const DEADLINE_MS = 5_000;
const SESSION_ID = 'desk-host';
const STATUS_TOPIC = 'deskbox/desk1/boards/b7/status';
const EVENTS_TOPIC = 'deskbox/desk1/boards/b7/events';

type Cleanup = () => Promise<unknown>;

interface RunningBroker {
  broker: Aedes;
  persistence: SqlitePersistence;
  url: string;
}

interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves once `holds()` is true, checking again each time `emitter` emits `event`. */
function when(what: string, emitter: EventEmitter, event: string, holds: () => boolean): Promise<void> {
  let check = (): void => undefined;
  const reached = new Promise<void>((resolve) => {
    check = () => {
      if (holds()) resolve();
    };
    emitter.on(event, check);
    check();
  });
  return within(what, reached).finally(() => emitter.off(event, check));
}

async function startBroker(path: string, cleanups: Cleanup[]): Promise<RunningBroker> {
  const persistence = await openSqlitePersistence({ path });
  cleanups.push(() => persistence.destroy());
  const broker = await Aedes.createBroker({ persistence });
  const server: Server = createServer(broker.handle);
  // Broker first: it drops its clients, which lets server.close() finish.
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  cleanups.push(() => new Promise<void>((resolve) => broker.close(() => resolve())));
  server.listen(0, '127.0.0.1');
  await within('listening server', once(server, 'listening'));
  const { port } = server.address() as AddressInfo;
  return { broker, persistence, url: `mqtt://127.0.0.1:${port}` };
}

/** Connects, recording messages from the start: a restored session's queue follows CONNACK at once. */
async function connectClient(url: string, options: IClientOptions, cleanups: Cleanup[]) {
  const client: MqttClient = connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...options });
  cleanups.push(() => client.endAsync(true));
  const received: Received[] = [];
  const arrivals = new EventEmitter();
  client.on('message', (topic, payload, packet) => {
    received.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
    arrivals.emit('message');
  });
  const connack = await within(
    `CONNACK for ${options.clientId}`,
    new Promise<IConnackPacket>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    }),
  );
  return { client, received, arrivals, sessionPresent: connack.sessionPresent };
}

/** Runs (and empties) `cleanups` newest first; every step runs even when an earlier one fails. */
async function runCleanups(cleanups: Cleanup[]): Promise<void> {
  const failures: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    await within('cleanup step', cleanup()).catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw new AggregateError(failures, 'cleanup failed');
}

test('retained messages and offline QoS 1 messages survive a broker restart', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-persistence-');
  const path = join(dir, 'broker.db');
  const first: Cleanup[] = [];
  const second: Cleanup[] = [];
  try {
    const before = await startBroker(path, first);

    const session = await connectClient(before.url, { clientId: SESSION_ID, clean: false }, first);
    await session.client.subscribeAsync('deskbox/desk1/boards/+/events', { qos: 1 });
    const gone = within('disconnect of the session', once(before.broker, 'clientDisconnect'));
    await session.client.endAsync();
    await gone;

    // PUBACK precedes aedes' storing; its 'publish' event follows the committed writes.
    let stored = 0;
    before.broker.on('publish', (_packet, client) => {
      if (client?.id === 'board-b7') stored++;
    });
    const board = await connectClient(before.url, { clientId: 'board-b7', clean: true }, first);
    await board.client.publishAsync(STATUS_TOPIC, 'online', { qos: 1, retain: true });
    for (const n of [1, 2, 3]) await board.client.publishAsync(EVENTS_TOPIC, `boot-${n}`, { qos: 1 });
    await when('4 stored publishes', before.broker, 'publish', () => stored === 4);
    await runCleanups(first);

    const after = await startBroker(path, second);

    const watcher = await connectClient(after.url, { clientId: 'desk-watcher', clean: true }, second);
    await watcher.client.subscribeAsync('deskbox/desk1/boards/+/status', { qos: 1 });
    await when('retained status', watcher.arrivals, 'message', () => watcher.received.length === 1);
    assert.equal(watcher.received, [{ topic: STATUS_TOPIC, payload: 'online', qos: 1, retain: true }]);

    let acked = 0;
    after.broker.on('ack', (_packet, client) => {
      if (client.id === SESSION_ID) acked++;
    });
    const back = await connectClient(after.url, { clientId: SESSION_ID, clean: false }, second);
    assert.ok(back.sessionPresent, 'the session survived the restart');
    await when('3 queued events', back.arrivals, 'message', () => back.received.length === 3);
    assert.equal(
      back.received.map(({ topic, payload, qos }) => ({ topic, payload, qos })),
      [1, 2, 3].map((n) => ({ topic: EVENTS_TOPIC, payload: `boot-${n}`, qos: 1 })),
    );
    await when('PUBACKs of the queued events', after.broker, 'ack', () => acked === 3);
    const left = await after.persistence.outgoingStream({ id: SESSION_ID }).toArray();
    assert.equal(left, [], 'acknowledged packets leave the queue');
  } finally {
    await runCleanups([...first, ...second]).finally(() => removeDir());
  }
});

test.run();
