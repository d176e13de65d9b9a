/**
 * The experiment telemetry file: one SQLite database per experiment run, written by the host
 * while boards report, read back (or exported to CSV) for the analysis.
 */
import Database from 'better-sqlite3';

const SCHEMA_VERSION = 1;

/** The tables in the order exportCsv writes them; each becomes `<table>.csv`. */
export const TABLES = [
  'telemetry', 'boot_phases', 'guest_boots', 'guest_failures', 'statuses', 'events', 'marks', 'meta', 'counters',
] as const;
export type TableName = (typeof TABLES)[number];

// `at` is always the board's clock (ms since the epoch) and `received_at` the host's, so clock
// skew between boards and host stays visible instead of being averaged away. Columns that the
// contract allows to be fractional keep SQLite's loose affinity rather than STRICT INTEGER,
// which would fail a whole batch on one valid payload.
const DDL = `
CREATE TABLE IF NOT EXISTS telemetry (
  board TEXT NOT NULL, at INTEGER NOT NULL, received_at INTEGER NOT NULL, seq INTEGER NOT NULL,
  uptime_s REAL NOT NULL, power_w REAL NOT NULL, volts REAL NOT NULL, amps REAL NOT NULL,
  energy_j REAL NOT NULL, cpu REAL NOT NULL, mem_bytes INTEGER NOT NULL,
  guests_running INTEGER NOT NULL, guests_ready INTEGER, guests_failed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS telemetry_by_board ON telemetry (board, at);

-- Phases arrive twice (the status lists them all, boot-phase events announce most of them) and
-- retained statuses are replayed on every subscribe: the unique key keeps one row per phase.
CREATE TABLE IF NOT EXISTS boot_phases (
  board TEXT NOT NULL, phase TEXT NOT NULL, at INTEGER NOT NULL, received_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS boot_phases_by_board ON boot_phases (board, at, phase);

CREATE TABLE IF NOT EXISTS guest_boots (
  board TEXT NOT NULL, guest TEXT NOT NULL, boot_ms REAL NOT NULL, at INTEGER NOT NULL, received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS guest_boots_by_board ON guest_boots (board, at);

CREATE TABLE IF NOT EXISTS guest_failures (
  board TEXT NOT NULL, guest TEXT NOT NULL, error TEXT NOT NULL, at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS guest_failures_by_board ON guest_failures (board, at);

-- An online status has no time of its own: at = bootedAt + uptimeS, when the board sent it.
-- A last will has none at all (NULL).
CREATE TABLE IF NOT EXISTS statuses (
  board TEXT NOT NULL, state TEXT NOT NULL, at INTEGER, received_at INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS statuses_by_board ON statuses (board, received_at);

CREATE TABLE IF NOT EXISTS events (
  board TEXT NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_board ON events (board, at);

CREATE TABLE IF NOT EXISTS marks (name TEXT NOT NULL, at INTEGER NOT NULL, detail TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

-- What was received but is not data (malformed, foreign, ...), so a reopened file still says
-- how complete it is.
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

export type ErrorContext = Readonly<Record<string, string | number | undefined>>;

export class TelemetryStoreError extends Error {
  override readonly name = 'TelemetryStoreError';

  constructor(message: string, readonly context: ErrorContext, options?: ErrorOptions) {
    const where = Object.entries(context)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
      .join(', ');
    super(`${message} (${where})`, options);
  }
}

/**
 * Opens (creating if needed) a telemetry file. WAL with synchronous=NORMAL: a commit is an
 * append without fsync, so a crash of the host process loses nothing committed; only an OS
 * crash can drop the last commits.
 */
export function openTelemetryDatabase(file: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (cause) {
    throw new TelemetryStoreError('cannot open the telemetry file', { file }, { cause });
  }
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (file !== ':memory:' && mode !== 'wal') {
      throw new TelemetryStoreError('the file system refused WAL mode', { file, mode: String(mode) });
    }
    db.pragma('synchronous = NORMAL');
    // Every board appends at its own spot of the per-board index, so a commit rewrites about one
    // index page per board, whatever its row count. Checkpointing (an fsync each) after 16 MB of
    // WAL rather than SQLite's 4 MB took raw inserts of 490 boards from 101k to 144k rows/s.
    db.pragma('wal_autocheckpoint = 4000');
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version !== 0 && version !== SCHEMA_VERSION) {
      throw new TelemetryStoreError('telemetry file has an unknown schema version', { file, found: version, expected: SCHEMA_VERSION });
    }
    db.exec(DDL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof TelemetryStoreError) throw error;
    throw new TelemetryStoreError('cannot prepare the telemetry file', { file }, { cause: error });
  }
}
