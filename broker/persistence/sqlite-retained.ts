import type { Readable } from 'node:stream';
import type { GroupCommit } from './sqlite-batch.ts';
import { type PersistedPacket, decode, encode, streamPages } from './sqlite-packets.ts';
import { PAGE_SIZE } from './sqlite-schema.ts';
import type { Statements } from './sqlite-statements.ts';
import { literalPrefixGlob } from './sqlite-topics.ts';

/** The last retained message per topic, as SUBSCRIBE replays it. */
export class RetainedStore {
  readonly #sql: Statements;
  readonly #batch: GroupCommit;

  constructor(sql: Statements, batch: GroupCommit) {
    this.#sql = sql;
    this.#batch = batch;
  }

  async store(packet: PersistedPacket): Promise<void> {
    const topic = String(packet.topic);
    // An empty payload is the MQTT way to delete a retained message.
    if (!packet.payload || packet.payload.length === 0) {
      return this.#batch.run('storeRetained', () => void this.#sql.retainedDelete.run(topic), 'one');
    }
    // Encoded now: aedes may reuse the packet object once this call returns.
    const bytes = encode(packet);
    return this.#batch.run('storeRetained', () => void this.#sql.retainedPut.run(topic, bytes), 'one');
  }

  /** Each retained message once, even when several of the filters match its topic. */
  stream(filters: readonly string[]): Readable {
    const sent = new Set<string>();
    let index = 0;
    let after = '';
    return streamPages(async () => {
      const filter = filters[index];
      if (filter === undefined) return { items: [], more: false };
      const rows = await this.#batch.run('createRetainedStream', () =>
        this.#sql.retainedPage.all(literalPrefixGlob(filter), after, filter),
      );
      const last = rows.at(-1);
      if (last && rows.length === PAGE_SIZE) {
        after = last.topic;
      } else {
        index++;
        after = '';
      }
      const fresh = rows.filter(({ topic }) => !sent.has(topic));
      for (const { topic } of fresh) sent.add(topic);
      return { items: fresh.map(({ packet }) => decode(packet)), more: index < filters.length };
    });
  }
}
