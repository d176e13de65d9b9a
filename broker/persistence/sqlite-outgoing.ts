import type { Readable } from 'node:stream';
import type { GroupCommit } from './sqlite-batch.ts';
import { NoSuchPacketError } from './sqlite-errors.ts';
import { type PersistedPacket, decode, encode, streamPages, toQueued } from './sqlite-packets.ts';
import { PAGE_SIZE } from './sqlite-schema.ts';
import type { OutgoingRow, Statements } from './sqlite-statements.ts';

/**
 * Per-client queues of QoS > 0 packets: enqueued while a persistent session is offline, kept
 * while in flight until PUBACK/PUBCOMP. A row is identified by its origin (broker id + counter)
 * until delivery gives it a packet identifier (message_id), which PUBACK and PUBREL refer to.
 */
export class OutgoingQueue {
  readonly #sql: Statements;
  readonly #batch: GroupCommit;
  readonly #onError: (e: Error) => void;

  /** `onError`: where a failed write that nobody waits on (see update) is reported. */
  constructor(sql: Statements, batch: GroupCommit, onError: (e: Error) => void) {
    this.#sql = sql;
    this.#batch = batch;
    this.#onError = onError;
  }

  async enqueue(subs: ReadonlyArray<{ clientId: string }>, packet: PersistedPacket): Promise<void> {
    const clientIds = subs.map(({ clientId }) => clientId);
    const queued = toQueued(packet);
    const bytes = encode(queued);
    const brokerId = queued.brokerId ?? null;
    const counter = queued.brokerCounter ?? null;
    return this.#batch.run('outgoingEnqueue', () => {
      for (const clientId of clientIds) this.#sql.outgoingInsert.run(clientId, brokerId, counter, bytes);
    }, clientIds.length > 1 ? 'many' : 'one');
  }

  /**
   * Records the packet identifier assigned on delivery, or, for a packet of another origin with
   * the same identifier (a PUBREL following a QoS 2 PUBLISH), replaces that entry in place.
   * Whichever candidate comes first in the queue wins, as in the spec's reference queue.
   *
   * A QoS 1 PUBLISH settles at once and its packet id is committed with a later batch: aedes
   * writes a delivery only after this settles, and a commit of its own here was one of three
   * per message, in series with the enqueue's on the delivery path. The queue row itself is
   * committed before delivery starts, so a crash in between loses no message: the row, still
   * without its id, is redelivered under a new one on reconnect (QoS 1 allows the duplicate).
   * QoS 2 (and its PUBREL) keeps its id committed first: a redelivery under a new id would
   * defeat exactly-once. A deferred update that fails is reported through `onError`.
   */
  update(clientId: string, packet: PersistedPacket): Promise<void> {
    const deferred = packet.cmd === 'publish' && packet.qos === 1;
    const brokerId = packet.brokerId ?? null;
    const counter = packet.brokerCounter ?? null;
    const messageId = packet.messageId ?? null;
    // Encoded only for the rare replacement; the copy keeps the packet as it is now, since
    // aedes may change the object before the batch runs.
    const copy = { ...packet };
    const applied = this.#batch.run('outgoingUpdate', () => {
      const sql = this.#sql;
      const same = brokerId === null || counter === null
        ? undefined
        : sql.outgoingByOrigin.get(clientId, brokerId, counter);
      const other = sql.outgoingByMessageId.get(clientId, messageId, brokerId, brokerId);
      if (same !== undefined && (other === undefined || same < other)) {
        sql.outgoingSetMessageId.run(messageId, same);
      } else if (other !== undefined) {
        sql.outgoingReplace.run(brokerId, counter, messageId, encode(copy), other);
      } else {
        throw new NoSuchPacketError('no such outgoing packet', {
          operation: 'outgoingUpdate', clientId, messageId: messageId ?? undefined,
          brokerId: brokerId ?? undefined, brokerCounter: counter ?? undefined,
        });
      }
    }, 'one', deferred ? 'soon' : 'now');
    if (!deferred) return applied;
    applied.catch(this.#onError);
    return Promise.resolve();
  }

  /**
   * Removes the acknowledged packet and hands it back; an unknown identifier is not an error.
   * Not urgent: aedes only waits on it to read the client's next packets, and a crash before
   * the commit costs a redelivery of an acknowledged message, which QoS 1 and 2 both tolerate.
   */
  async clear(clientId: string, packet: PersistedPacket): Promise<PersistedPacket | undefined> {
    const messageId = packet.messageId ?? null;
    return this.#batch.run('outgoingClearMessageId', () => {
      const row = this.#sql.outgoingClear.get(clientId, messageId);
      return row && fromRow(row);
    }, 'one', 'soon');
  }

  /**
   * Drops all but the newest `keep` packets of the client's queue; resolves to how many went.
   * Queued behind the writes requested before it, so a trim right after an enqueue sees it.
   */
  async trim(clientId: string, keep: number): Promise<number> {
    return this.#batch.run('outgoingTrim', () => this.#sql.outgoingTrim.run(clientId, keep).changes, 'one');
  }

  /**
   * The queue as it stands when reading starts. Packets appended later are left out: they are
   * being delivered live, and a reconnect drain that chased them would send them twice.
   */
  stream(clientId: string): Readable {
    let after = 0;
    let last: number | undefined;
    return streamPages(async () => {
      const rows = await this.#batch.run('outgoingStream', () => {
        last ??= this.#sql.outgoingLastSeq.get(clientId) ?? 0;
        return this.#sql.outgoingPage.all(clientId, after, last);
      });
      after = rows.at(-1)?.seq ?? after;
      return { items: rows.map(fromRow), more: rows.length === PAGE_SIZE };
    });
  }
}

// message_id is the column outgoingUpdate maintains; the blob keeps the packet as enqueued.
function fromRow(row: OutgoingRow): PersistedPacket {
  return { ...decode(row.packet), messageId: row.message_id ?? undefined };
}
