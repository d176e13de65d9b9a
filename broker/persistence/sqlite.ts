import { Readable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import { GroupCommit } from './sqlite-batch.ts';
import { type Checkpointer, startCheckpointer } from './sqlite-checkpointer.ts';
import { SqlitePersistenceError } from './sqlite-errors.ts';
import { IncomingStore } from './sqlite-incoming.ts';
import {
  type BrokerIdentity,
  type PersistedPacket,
  type PersistenceClient,
  decode,
  encode,
  streamPages,
} from './sqlite-packets.ts';
import { OutgoingQueue } from './sqlite-outgoing.ts';
import { RetainedStore } from './sqlite-retained.ts';
import { openDatabase } from './sqlite-schema.ts';
import { type Statements, prepareStatements } from './sqlite-statements.ts';
import { type OfflineSubscription, type Subscription, SubscriptionIndex } from './sqlite-subscriptions.ts';

/**
 * An aedes 1.x persistence on SQLite. aedes 1.x calls the promise-returning interface of
 * aedes-persistence 11 directly (an async `setup(broker)`, promises everywhere else, streams for
 * bulk reads), so this implements that interface with no callback adapter in between.
 */
export class SqlitePersistence {
  readonly #db: Database;
  readonly #sql: Statements;
  readonly #batch: GroupCommit;
  readonly #subscriptions = new SubscriptionIndex();
  readonly #retained: RetainedStore;
  readonly #outgoing: OutgoingQueue;
  readonly #incoming: IncomingStore;
  #broker: BrokerIdentity | undefined;

  readonly #onError: (e: Error) => void;
  readonly #checkpointer: Checkpointer | undefined;

  /** `path`: the database file, for the checkpointing worker (none for ':memory:'). */
  constructor(db: Database, onError: (e: Error) => void, path?: string) {
    this.#db = db;
    this.#checkpointer = path && path !== ':memory:' ? startCheckpointer(db, path) : undefined;
    this.#onError = onError;
    this.#sql = prepareStatements(db);
    this.#batch = new GroupCommit(db, () => this.#loadSubscriptions());
    this.#retained = new RetainedStore(this.#sql, this.#batch);
    this.#outgoing = new OutgoingQueue(this.#sql, this.#batch, (e) => this.#onError(e));
    this.#incoming = new IncomingStore(this.#sql, this.#batch);
    this.#loadSubscriptions();
  }

  /** The spec's conformance suite reads the broker id back through this. */
  get broker(): BrokerIdentity | undefined {
    return this.#broker;
  }

  async setup(broker: BrokerIdentity): Promise<void> {
    this.#broker = broker;
  }

  /** aedes 1.x never calls this from broker.close(): the owner must, after closing the broker. */
  async destroy(): Promise<void> {
    if (!this.#db.open) return;
    this.#batch.close();
    // The worker's connection closes first, so the broker's is the last one and checkpoints all.
    await this.#checkpointer?.stop();
    if (this.#db.open) this.#db.close();
  }

  /**
   * Settles at once, while the write waits for the group commit. aedes delays forwarding a
   * publish until this settles, and drops a delivery whose broker counter is lower than one
   * the client already got (its duplicate filter): a retained publish held for the commit was
   * overtaken by a later plain one and lost for every subscriber that receives both (seen as
   * missing telemetry). Reads queue behind the write, so they still see it; a failed write is
   * reported through `onError`.
   */
  storeRetained(packet: PersistedPacket): Promise<void> {
    this.#retained.store(packet).catch((e: unknown) => this.#onError(e as Error));
    return Promise.resolve();
  }

  createRetainedStream(pattern: string): Readable {
    return this.#retained.stream([pattern]);
  }

  createRetainedStreamCombi(patterns: readonly string[]): Readable {
    return this.#retained.stream([...patterns]);
  }

  // Arguments are copied now, since aedes may mutate them (e.g. granted QoS) once this returns.
  async addSubscriptions(client: PersistenceClient, subs: readonly Subscription[]): Promise<void> {
    const clientId = client.id;
    const copies = subs.map((sub) => ({ ...sub }));
    return this.#batch.run('addSubscriptions', () => {
      for (const { topic, qos, rh, rap, nl, subscriptionIdentifier } of copies) {
        this.#sql.subscriptionPut.run(
          clientId, topic, qos, rh ?? null, flag(rap), flag(nl), subscriptionIdentifier ?? null,
        );
      }
      for (const sub of copies) this.#subscriptions.set(clientId, sub);
    });
  }

  async removeSubscriptions(client: PersistenceClient, topics: readonly string[]): Promise<void> {
    const clientId = client.id;
    const copies = [...topics];
    return this.#batch.run('removeSubscriptions', () => {
      for (const topic of copies) this.#sql.subscriptionDelete.run(clientId, topic);
      for (const topic of copies) this.#subscriptions.delete(clientId, topic);
    });
  }

  async cleanSubscriptions(client: PersistenceClient): Promise<void> {
    const clientId = client.id;
    return this.#batch.run('cleanSubscriptions', () => {
      this.#sql.subscriptionDeleteClient.run(clientId);
      this.#subscriptions.deleteClient(clientId);
    });
  }

  // Subscription reads come from the in-memory index, which changes only as batches apply.
  async subscriptionsByClient(client: PersistenceClient): Promise<Subscription[]> {
    return this.#subscriptions.list(client.id);
  }

  async subscriptionsByTopic(topic: string): Promise<OfflineSubscription[]> {
    return this.#subscriptions.match(topic);
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return this.#subscriptions.counts();
  }

  getClientList(topic: string): Readable {
    return Readable.from(this.#subscriptions.clientsWith(topic));
  }

  outgoingEnqueue(sub: { clientId: string }, packet: PersistedPacket): Promise<void> {
    return this.#outgoing.enqueue([sub], packet);
  }

  outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string }>, packet: PersistedPacket): Promise<void> {
    return this.#outgoing.enqueue(subs, packet);
  }

  /**
   * Not in the aedes-persistence interface: drops all but the client's newest `keep` queued
   * packets and resolves to how many went (broker/offline-queues.ts bounds offline queues so).
   */
  trimOutgoing(clientId: string, keep: number): Promise<number> {
    return this.#outgoing.trim(clientId, keep);
  }

  outgoingUpdate(client: PersistenceClient, packet: PersistedPacket): Promise<void> {
    return this.#outgoing.update(client.id, packet);
  }

  outgoingClearMessageId(
    client: PersistenceClient,
    packet: PersistedPacket,
  ): Promise<PersistedPacket | undefined> {
    return this.#outgoing.clear(client.id, packet);
  }

  outgoingStream(client: PersistenceClient): Readable {
    return this.#outgoing.stream(client.id);
  }

  incomingStorePacket(client: PersistenceClient, packet: PersistedPacket): Promise<void> {
    return this.#incoming.store(client.id, packet);
  }

  incomingGetPacket(client: PersistenceClient, packet: PersistedPacket): Promise<PersistedPacket> {
    return this.#incoming.get(client.id, packet);
  }

  incomingDelPacket(client: PersistenceClient, packet: PersistedPacket): Promise<void> {
    return this.#incoming.delete(client.id, packet);
  }

  cleanIncoming(client: PersistenceClient): Promise<void> {
    return this.#incoming.clean(client.id);
  }

  /** Stamps the will with its owner and this broker, as the spec does, so callers see both. */
  async putWill(client: PersistenceClient, packet: PersistedPacket): Promise<void> {
    const clientId = client.id;
    const brokerId = this.#requireBroker('putWill').id;
    packet.brokerId = brokerId;
    packet.clientId = clientId;
    const bytes = encode(packet);
    return this.#batch.run('putWill', () => void this.#sql.willPut.run(clientId, brokerId, bytes));
  }

  async getWill(client: PersistenceClient): Promise<PersistedPacket | undefined> {
    const clientId = client.id;
    return this.#batch.run('getWill', () => decodeOptional(this.#sql.willGet.get(clientId)));
  }

  async delWill(client: PersistenceClient): Promise<PersistedPacket | undefined> {
    const clientId = client.id;
    return this.#batch.run('delWill', () => decodeOptional(this.#sql.willDelete.get(clientId)));
  }

  /** Wills of brokers absent from `brokers` (id -> last heartbeat): theirs died with them. */
  streamWill(brokers: Readonly<Record<string, number>> = {}): Readable {
    const alive = JSON.stringify(Object.keys(brokers));
    return streamPages(async () => {
      const rows = await this.#batch.run('streamWill', () => this.#sql.willsOfOtherBrokers.all(alive));
      return { items: rows.map(decode), more: false };
    });
  }

  #requireBroker(operation: string): BrokerIdentity {
    if (!this.#broker) throw new SqlitePersistenceError('setup(broker) has not run', { operation });
    return this.#broker;
  }

  #loadSubscriptions(): void {
    this.#subscriptions.clear();
    for (const row of this.#sql.subscriptionAll.all()) {
      this.#subscriptions.set(row.client_id, {
        topic: row.topic,
        qos: row.qos,
        rh: row.rh ?? undefined,
        rap: row.rap === null ? undefined : row.rap === 1,
        nl: row.nl === null ? undefined : row.nl === 1,
        subscriptionIdentifier: row.subscription_id ?? undefined,
      });
    }
  }
}

/**
 * Opens the store at `path`, in an existing directory (':memory:' for tests). Pass the result as
 * aedes' `persistence`; call its destroy() after broker.close().
 */
export async function openSqlitePersistence(opts: { path: string; onError?: (e: Error) => void }): Promise<SqlitePersistence> {
  return new SqlitePersistence(openDatabase(opts.path), opts.onError ?? (() => undefined), opts.path);
}

// SQLite has no boolean type, and better-sqlite3 refuses to bind JavaScript booleans.
function flag(value: boolean | undefined): 0 | 1 | null {
  return value === undefined ? null : value ? 1 : 0;
}

function decodeOptional(bytes: Buffer | undefined): PersistedPacket | undefined {
  return bytes ? decode(bytes) : undefined;
}
