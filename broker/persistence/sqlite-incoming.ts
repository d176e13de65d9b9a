import type { GroupCommit } from './sqlite-batch.ts';
import { NoSuchPacketError, SqlitePersistenceError } from './sqlite-errors.ts';
import { type PersistedPacket, decode, encode, toIncoming } from './sqlite-packets.ts';
import type { Statements } from './sqlite-statements.ts';

/**
 * Inbound QoS 2 packets between PUBLISH and PUBREL, keyed by client and packet identifier. aedes
 * looks a PUBLISH up here before routing it, so a retransmission after a restart is not
 * delivered twice [MQTT-4.3.3-2].
 */
export class IncomingStore {
  readonly #sql: Statements;
  readonly #batch: GroupCommit;

  constructor(sql: Statements, batch: GroupCommit) {
    this.#sql = sql;
    this.#batch = batch;
  }

  async store(clientId: string, packet: PersistedPacket): Promise<void> {
    const messageId = requireMessageId('incomingStorePacket', clientId, packet);
    const bytes = encode(toIncoming(packet));
    return this.#batch.run('incomingStorePacket', () => {
      this.#sql.incomingPut.run(clientId, messageId, bytes);
    }, 'one');
  }

  async get(clientId: string, packet: PersistedPacket): Promise<PersistedPacket> {
    const messageId = requireMessageId('incomingGetPacket', clientId, packet);
    return this.#batch.run('incomingGetPacket', () => {
      const bytes = this.#sql.incomingGet.get(clientId, messageId);
      if (!bytes) throw noSuchPacket('incomingGetPacket', clientId, messageId);
      return decode(bytes);
    }, 'one');
  }

  async delete(clientId: string, packet: PersistedPacket): Promise<void> {
    const messageId = requireMessageId('incomingDelPacket', clientId, packet);
    return this.#batch.run('incomingDelPacket', () => {
      const { changes } = this.#sql.incomingDelete.run(clientId, messageId);
      if (changes === 0) throw noSuchPacket('incomingDelPacket', clientId, messageId);
    }, 'one');
  }

  async clean(clientId: string): Promise<void> {
    return this.#batch.run('cleanIncoming', () => void this.#sql.incomingDeleteClient.run(clientId), 'one');
  }
}

function requireMessageId(operation: string, clientId: string, packet: PersistedPacket): number {
  if (typeof packet.messageId !== 'number') {
    throw new SqlitePersistenceError('packet has no messageId', { operation, clientId });
  }
  return packet.messageId;
}

function noSuchPacket(operation: string, clientId: string, messageId: number): NoSuchPacketError {
  return new NoSuchPacketError('no such incoming packet', { operation, clientId, messageId });
}
