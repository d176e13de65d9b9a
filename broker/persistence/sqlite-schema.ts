import Database from 'better-sqlite3';
import { ensurePrivateFileSync, restrictFileSync } from '../../platform/private-files.ts';
import { SchemaVersionError, SqlitePersistenceError } from './sqlite-errors.ts';
import { topicMatches } from './sqlite-topics.ts';

const SCHEMA_VERSION = 1;

/** Rows per fetch of a retained or outgoing stream. */
export const PAGE_SIZE = 256;

// Packets are V8 structured-clone blobs (see sqlite-packets.ts); the columns beside them are
// exactly the keys the spec looks packets up by.
const DDL = `
CREATE TABLE IF NOT EXISTS retained (
  topic  TEXT PRIMARY KEY,
  packet BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS subscriptions (
  client_id       TEXT NOT NULL,
  topic           TEXT NOT NULL,
  qos             INTEGER NOT NULL,
  rh              INTEGER,
  rap             INTEGER,
  nl              INTEGER,
  subscription_id INTEGER,
  PRIMARY KEY (client_id, topic)
);

-- AUTOINCREMENT: seq is the queue order and bounds a stream's snapshot, so it is never reused.
CREATE TABLE IF NOT EXISTS outgoing (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  client_id      TEXT NOT NULL,
  broker_id      TEXT,
  broker_counter INTEGER,
  message_id     INTEGER,
  packet         BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS outgoing_by_client ON outgoing (client_id);
CREATE INDEX IF NOT EXISTS outgoing_by_origin ON outgoing (client_id, broker_id, broker_counter);
CREATE INDEX IF NOT EXISTS outgoing_by_message_id ON outgoing (client_id, message_id);

CREATE TABLE IF NOT EXISTS incoming (
  client_id  TEXT NOT NULL,
  message_id INTEGER NOT NULL,
  packet     BLOB NOT NULL,
  PRIMARY KEY (client_id, message_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS wills (
  client_id TEXT PRIMARY KEY,
  broker_id TEXT NOT NULL,
  packet    BLOB NOT NULL
) WITHOUT ROWID;
`;

/** SQLite's in-memory and temporary databases have no file to protect. */
const onDisk = (path: string) => path !== '' && path !== ':memory:';

/**
 * Opens (creating if needed) the store. WAL with synchronous=NORMAL makes a commit an append to
 * the WAL without fsync: it survives a broker crash or restart, and only an OS crash or power
 * loss can drop the last commits before a checkpoint.
 *
 * The store holds every queued and retained message, so it is 0600: SQLite creates a database
 * 0644 but gives its -wal and -shm files the database's own mode, so the file is made (or
 * narrowed) first, and the companions of an older store are narrowed once WAL is on.
 */
export function openDatabase(path: string): Database.Database {
  let db: Database.Database;
  try {
    if (onDisk(path)) ensurePrivateFileSync(path);
    db = new Database(path);
  } catch (cause) {
    throw new SqlitePersistenceError('cannot open the database', { path }, { cause });
  }
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (path !== ':memory:' && mode !== 'wal') {
      throw new SqlitePersistenceError('the file system refused WAL mode', { path, mode: String(mode) });
    }
    if (onDisk(path)) for (const companion of ['-wal', '-shm']) restrictFileSync(path + companion);
    db.pragma('synchronous = NORMAL');
    const version = db.pragma('user_version', { simple: true });
    if (version !== 0 && version !== SCHEMA_VERSION) {
      throw new SchemaVersionError('database has an unknown schema version', {
        path,
        found: Number(version),
        expected: SCHEMA_VERSION,
      });
    }
    db.exec(DDL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.function('mqtt_match', { deterministic: true }, (filter, topic) =>
      topicMatches(String(filter), String(topic)) ? 1 : 0,
    );
    return db;
  } catch (error) {
    db.close();
    if (error instanceof SqlitePersistenceError) throw error;
    throw new SqlitePersistenceError('cannot prepare the database', { path }, { cause: error });
  }
}
