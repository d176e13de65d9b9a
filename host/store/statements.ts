/** Every statement the telemetry store runs, prepared once per file. */
import type { Database } from 'better-sqlite3';
import type { PendingRows, TelemetryParams } from './rows.ts';
import type { LastSample } from './seq-tracker.ts';
import type { TelemetryRow } from './types.ts';

/** What was received but is not data; kept in the file's `counters` table. */
export interface Counters {
  malformed: number;
  /** Samples missing from each board's seq numbers. */
  lostTelemetry: number;
  /** Topics outside this desk's boards. */
  foreign: number;
  /** cmd and reply traffic of this desk, and empty (retained-clearing) payloads. */
  ignored: number;
  /** Telemetry already received (same board, seq and time): resends and retained copies replayed on resubscribe. */
  duplicates: number;
}

const COUNTER_NAMES = ['malformed', 'lostTelemetry', 'foreign', 'ignored', 'duplicates'] as const;

const TELEMETRY_COLUMNS = `board, at, received_at AS receivedAt, seq, uptime_s AS uptimeS, power_w AS powerW, volts, amps,
  energy_j AS energyJ, cpu, mem_bytes AS memBytes, guests_running AS guestsRunning,
  guests_ready AS guestsReady, guests_failed AS guestsFailed`;

export function prepareStatements(db: Database) {
  const insert = {
    telemetry: db.prepare<TelemetryParams>('INSERT INTO telemetry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    bootPhase: db.prepare<PendingRows['bootPhases'][number]>('INSERT OR IGNORE INTO boot_phases VALUES (?, ?, ?, ?)'),
    guestBoot: db.prepare<PendingRows['guestBoots'][number]>('INSERT INTO guest_boots VALUES (?, ?, ?, ?, ?)'),
    guestFailure: db.prepare<PendingRows['guestFailures'][number]>('INSERT INTO guest_failures VALUES (?, ?, ?, ?)'),
    status: db.prepare<PendingRows['statuses'][number]>('INSERT INTO statuses VALUES (?, ?, ?, ?, ?)'),
    event: db.prepare<PendingRows['events'][number]>('INSERT INTO events VALUES (?, ?, ?, ?, ?)'),
    mark: db.prepare<PendingRows['marks'][number]>('INSERT INTO marks VALUES (?, ?, ?)'),
    metaPut: db.prepare<[string, string]>('INSERT OR REPLACE INTO meta VALUES (?, ?)'),
    metaDelete: db.prepare<[string]>('DELETE FROM meta WHERE key = ?'),
    counter: db.prepare<[string, number]>('INSERT OR REPLACE INTO counters VALUES (?, ?)'),
  };
  const count = (table: string) => db.prepare<[], number>(`SELECT count(*) FROM ${table}`).pluck();
  const counts = {
    telemetry: count('telemetry'), events: count('events'), statuses: count('statuses'), guestBoots: count('guest_boots'),
  };
  return {
    /** Runs inside the caller's transaction: the rows and the counters that describe them land together. */
    write(p: PendingRows, counters: Counters): void {
      for (const row of p.telemetry) insert.telemetry.run(...row);
      for (const row of p.bootPhases) insert.bootPhase.run(...row);
      for (const row of p.guestBoots) insert.guestBoot.run(...row);
      for (const row of p.guestFailures) insert.guestFailure.run(...row);
      for (const row of p.statuses) insert.status.run(...row);
      for (const row of p.events) insert.event.run(...row);
      for (const row of p.marks) insert.mark.run(...row);
      for (const [key, value] of p.meta) {
        if (value === null) insert.metaDelete.run(key);
        else insert.metaPut.run(key, value);
      }
      for (const name of COUNTER_NAMES) insert.counter.run(name, counters[name]);
    },
    tableCounts: () => ({
      telemetry: counts.telemetry.get()!, events: counts.events.get()!, statuses: counts.statuses.get()!, guestBoots: counts.guestBoots.get()!,
    }),
    telemetryAll: db.prepare<[], TelemetryRow>(`SELECT ${TELEMETRY_COLUMNS} FROM telemetry ORDER BY board, at, rowid`),
    telemetryOf: db.prepare<[string], TelemetryRow>(`SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE board = ? ORDER BY at, rowid`),
    bootPhases: db.prepare<[], { board: string; phase: string; at: number }>('SELECT board, phase, at FROM boot_phases ORDER BY board, at, rowid'),
    guestBoots: db.prepare<[], { board: string; guest: string; bootMs: number; at: number }>(
      'SELECT board, guest, boot_ms AS bootMs, at FROM guest_boots ORDER BY board, at, rowid',
    ),
    marks: db.prepare<[], { name: string; at: number; detail: string | null }>('SELECT name, at, detail FROM marks ORDER BY at, rowid'),
    meta: db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta ORDER BY key'),
    counters: db.prepare<[], { name: string; value: number }>('SELECT name, value FROM counters'),
    // The newest sample of each board by its clock (SQLite takes seq from the max(at) row):
    // what the next sample is compared with. Late arrivals are stored after newer rows.
    lastSamples: db.prepare<[], { board: string; seq: number; at: number }>('SELECT board, seq, max(at) AS at FROM telemetry GROUP BY board'),
  };
}
export type Statements = ReturnType<typeof prepareStatements>;

export function readCounters(sql: Statements): Counters {
  const counters: Counters = { malformed: 0, lostTelemetry: 0, foreign: 0, ignored: 0, duplicates: 0 };
  for (const { name, value } of sql.counters.all()) {
    if ((COUNTER_NAMES as readonly string[]).includes(name)) counters[name as keyof Counters] = value;
  }
  return counters;
}

export function readLastSamples(sql: Statements): Map<string, LastSample> {
  return new Map(sql.lastSamples.all().map(({ board, seq, at }) => [board, { seq, at }]));
}
