import { Readable } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import aedesPacket from 'aedes-packet';

export interface PersistenceClient {
  readonly id: string;
}

export interface BrokerIdentity {
  readonly id: string;
}

/** A packet as aedes hands it over: wire fields plus aedes' routing metadata, and whatever else. */
export interface PersistedPacket {
  cmd?: string;
  topic?: string;
  payload?: Buffer | string;
  qos?: number;
  retain?: boolean;
  messageId?: number | undefined;
  brokerId?: string | null | undefined;
  brokerCounter?: number;
  clientId?: string;
  [field: string]: unknown;
}

// The package's typings describe a namespace, but the CommonJS module itself is the constructor.
const Packet = aedesPacket as unknown as new (original: PersistedPacket) => PersistedPacket;

/**
 * The queue entry the spec expects: aedes' own Packet shape (parse-only fields such as `length`
 * dropped, defaults filled in) and no packet identifier, which delivery assigns later.
 */
export function toQueued(packet: PersistedPacket): PersistedPacket {
  return new Packet(packet);
}

/** An inbound QoS 2 packet keeps the identifier the client chose; it is the lookup key. */
export function toIncoming(packet: PersistedPacket): PersistedPacket {
  const stored = new Packet(packet);
  stored.messageId = packet.messageId;
  return stored;
}

/**
 * V8 structured-clone bytes, so every field round-trips exactly: Buffer and string payloads,
 * `undefined` members and MQTT 5 properties. aedes hangs process-local callbacks on packets
 * (QoSPacket.writeCallback); they are not data and cannot be cloned, so they are left out.
 */
export function encode(packet: PersistedPacket): Buffer {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(packet)) {
    if (typeof value !== 'function') fields[key] = value;
  }
  return serialize(fields);
}

export function decode(bytes: Buffer): PersistedPacket {
  return deserialize(bytes) as PersistedPacket;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly more: boolean;
}

/**
 * A stream that fetches one page at a time as the consumer reads. An offline session can queue
 * thousands of packets; loading them page by page keeps memory flat and never holds a SQLite
 * cursor open across awaits, which would block every write on the connection.
 */
export function streamPages<T>(nextPage: () => Promise<Page<T>>): Readable {
  async function* items(): AsyncGenerator<T> {
    for (;;) {
      const page = await nextPage();
      yield* page.items;
      if (!page.more) return;
    }
  }
  return Readable.from(items());
}
