/**
 * The desk's schedules and every run's outcome (SQLite, `<state>/schedules.db`): what a person
 * set with `deskbox schedule add`, and for each due time whether it ran (exit code, the tail
 * of its output), was skipped (the previous run still going) or was missed (the desk was down).
 * `seen` is the last instant the service looked, so a restarted desk knows what it missed.
 */
import Database from 'better-sqlite3';

export interface Schedule {
  id: number;
  cron: string;
  /** The deskbox command line it runs (without `deskbox`), e.g. ['run', 'plans/nightly.yaml']. */
  argv: string[];
  createdAt: number;
}

export type RunOutcome = 'ok' | 'failed' | 'skipped' | 'missed';

export interface ScheduleRun {
  schedule: number;
  dueAt: number;
  outcome: RunOutcome;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  /** The last lines it printed, or why it did not run. */
  detail: string;
}

const DDL = `
CREATE TABLE IF NOT EXISTS schedules (id INTEGER PRIMARY KEY, cron TEXT NOT NULL, argv TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY, schedule INTEGER NOT NULL, due_at INTEGER NOT NULL, outcome TEXT NOT NULL,
  started_at INTEGER, ended_at INTEGER, exit_code INTEGER, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_schedule ON runs (schedule, due_at);
CREATE TABLE IF NOT EXISTS seen (one INTEGER PRIMARY KEY CHECK (one = 1), at INTEGER NOT NULL);
`;

interface RunRow { schedule: number; due_at: number; outcome: RunOutcome; started_at: number | null; ended_at: number | null; exit_code: number | null; detail: string }

export function openScheduleStore(path: string) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(DDL);
  const toRun = (r: RunRow): ScheduleRun => ({ schedule: r.schedule, dueAt: r.due_at, outcome: r.outcome, startedAt: r.started_at, endedAt: r.ended_at, exitCode: r.exit_code, detail: r.detail });
  return {
    add(cron: string, argv: string[], at: number): Schedule {
      const id = Number(db.prepare('INSERT INTO schedules (cron, argv, created_at) VALUES (?, ?, ?)').run(cron, JSON.stringify(argv), at).lastInsertRowid);
      return { id, cron, argv, createdAt: at };
    },
    remove(id: number): boolean {
      return db.prepare('DELETE FROM schedules WHERE id = ?').run(id).changes > 0;
    },
    list(): Schedule[] {
      return (db.prepare('SELECT * FROM schedules ORDER BY id').all() as { id: number; cron: string; argv: string; created_at: number }[])
        .map((r) => ({ id: r.id, cron: r.cron, argv: JSON.parse(r.argv) as string[], createdAt: r.created_at }));
    },
    record(run: ScheduleRun): void {
      db.prepare('INSERT INTO runs (schedule, due_at, outcome, started_at, ended_at, exit_code, detail) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(run.schedule, run.dueAt, run.outcome, run.startedAt, run.endedAt, run.exitCode, run.detail);
    },
    /** Newest last; every schedule's when `schedule` is absent. */
    runs(schedule?: number, limit = 100): ScheduleRun[] {
      const rows = schedule === undefined
        ? db.prepare('SELECT * FROM (SELECT * FROM runs ORDER BY id DESC LIMIT ?) ORDER BY id').all(limit)
        : db.prepare('SELECT * FROM (SELECT * FROM runs WHERE schedule = ? ORDER BY id DESC LIMIT ?) ORDER BY id').all(schedule, limit);
      return (rows as RunRow[]).map(toRun);
    },
    seen(): number | undefined {
      return (db.prepare('SELECT at FROM seen').get() as { at: number } | undefined)?.at;
    },
    setSeen(at: number): void {
      db.prepare('INSERT INTO seen (one, at) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET at = excluded.at').run(at);
    },
    close: () => db.close(),
  };
}
export type ScheduleStore = ReturnType<typeof openScheduleStore>;
