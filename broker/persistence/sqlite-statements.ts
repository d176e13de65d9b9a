import type { Database } from 'better-sqlite3';
import { PAGE_SIZE } from './sqlite-schema.ts';

export interface SubscriptionRow {
  client_id: string;
  topic: string;
  qos: number;
  rh: number | null;
  rap: number | null;
  nl: number | null;
  subscription_id: number | null;
}

export interface OutgoingRow {
  seq: number;
  message_id: number | null;
  packet: Buffer;
}

type Flag = 0 | 1 | null;
type SubscriptionParams = [string, string, number, number | null, Flag, Flag, number | null];

/** Every statement the persistence runs, prepared once per database. */
export function prepareStatements(db: Database) {
  return {
    retainedPut: db.prepare<[string, Buffer]>(
      'INSERT OR REPLACE INTO retained (topic, packet) VALUES (?, ?)',
    ),
    retainedDelete: db.prepare<[string]>('DELETE FROM retained WHERE topic = ?'),
    // GLOB narrows to the filter's literal prefix through the primary key; mqtt_match decides.
    retainedPage: db.prepare<[string, string, string], { topic: string; packet: Buffer }>(
      `SELECT topic, packet FROM retained
       WHERE topic GLOB ? AND topic > ? AND mqtt_match(?, topic)
       ORDER BY topic LIMIT ${PAGE_SIZE}`,
    ),

    subscriptionPut: db.prepare<SubscriptionParams>(
      `INSERT INTO subscriptions (client_id, topic, qos, rh, rap, nl, subscription_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (client_id, topic) DO UPDATE SET qos = excluded.qos, rh = excluded.rh,
         rap = excluded.rap, nl = excluded.nl, subscription_id = excluded.subscription_id`,
    ),
    subscriptionDelete: db.prepare<[string, string]>(
      'DELETE FROM subscriptions WHERE client_id = ? AND topic = ?',
    ),
    subscriptionDeleteClient: db.prepare<[string]>('DELETE FROM subscriptions WHERE client_id = ?'),
    // rowid order restores clients and topics in the order they first subscribed.
    subscriptionAll: db.prepare<[], SubscriptionRow>('SELECT * FROM subscriptions ORDER BY rowid'),

    outgoingInsert: db.prepare<[string, string | null, number | null, Buffer]>(
      `INSERT INTO outgoing (client_id, broker_id, broker_counter, message_id, packet)
       VALUES (?, ?, ?, NULL, ?)`,
    ),
    outgoingByOrigin: db
      .prepare<[string, string, number], number>(
        `SELECT seq FROM outgoing WHERE client_id = ? AND broker_id = ? AND broker_counter = ?
         ORDER BY seq LIMIT 1`,
      )
      .pluck(),
    // A packet of another origin (or a PUBREL, which has none) replaces the entry holding its id.
    outgoingByMessageId: db
      .prepare<[string, number | null, string | null, string | null], number>(
        `SELECT seq FROM outgoing WHERE client_id = ? AND message_id = ?
           AND (? IS NULL OR broker_id IS NOT ?)
         ORDER BY seq LIMIT 1`,
      )
      .pluck(),
    outgoingSetMessageId: db.prepare<[number | null, number]>(
      'UPDATE outgoing SET message_id = ? WHERE seq = ?',
    ),
    outgoingReplace: db.prepare<[string | null, number | null, number | null, Buffer, number]>(
      `UPDATE outgoing SET broker_id = ?, broker_counter = ?, message_id = ?, packet = ?
       WHERE seq = ?`,
    ),
    outgoingClear: db.prepare<[string, number | null], OutgoingRow>(
      `DELETE FROM outgoing WHERE seq = (
         SELECT seq FROM outgoing WHERE client_id = ? AND message_id = ? ORDER BY seq LIMIT 1)
       RETURNING seq, message_id, packet`,
    ),
    // Every row of the client but its newest `keep` (seq is the queue order).
    outgoingTrim: db.prepare<[string, number]>(
      `DELETE FROM outgoing WHERE seq IN (
         SELECT seq FROM outgoing WHERE client_id = ? ORDER BY seq DESC LIMIT -1 OFFSET ?)`,
    ),
    outgoingLastSeq: db
      .prepare<[string], number | null>('SELECT max(seq) FROM outgoing WHERE client_id = ?')
      .pluck(),
    outgoingPage: db.prepare<[string, number, number], OutgoingRow>(
      `SELECT seq, message_id, packet FROM outgoing WHERE client_id = ? AND seq > ? AND seq <= ?
       ORDER BY seq LIMIT ${PAGE_SIZE}`,
    ),

    incomingPut: db.prepare<[string, number, Buffer]>(
      'INSERT OR REPLACE INTO incoming (client_id, message_id, packet) VALUES (?, ?, ?)',
    ),
    incomingGet: db
      .prepare<[string, number], Buffer>(
        'SELECT packet FROM incoming WHERE client_id = ? AND message_id = ?',
      )
      .pluck(),
    incomingDelete: db.prepare<[string, number]>(
      'DELETE FROM incoming WHERE client_id = ? AND message_id = ?',
    ),
    incomingDeleteClient: db.prepare<[string]>('DELETE FROM incoming WHERE client_id = ?'),

    willPut: db.prepare<[string, string, Buffer]>(
      'INSERT OR REPLACE INTO wills (client_id, broker_id, packet) VALUES (?, ?, ?)',
    ),
    willGet: db.prepare<[string], Buffer>('SELECT packet FROM wills WHERE client_id = ?').pluck(),
    willDelete: db
      .prepare<[string], Buffer>('DELETE FROM wills WHERE client_id = ? RETURNING packet')
      .pluck(),
    // The argument is a JSON array of the broker ids known to be alive.
    willsOfOtherBrokers: db
      .prepare<[string], Buffer>(
        'SELECT packet FROM wills WHERE broker_id NOT IN (SELECT value FROM json_each(?))',
      )
      .pluck(),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
