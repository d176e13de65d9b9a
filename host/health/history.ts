/**
 * The desk's health record (SQLite in the state folder, `<state>/health.db`): every board's
 * current health, so a restarted desk carries on where it was, and every transition with its
 * evidence, for `deskbox health history <board>`. A transition and the health it leads to are
 * written in one transaction: the record never shows a state no transition explains.
 */
import Database from 'better-sqlite3';
import type { Evidence } from './evidence.ts';
import { HEALTH_STATES, type BoardHealth, type HealthState, type Transition } from './policy.ts';

const DDL = `
CREATE TABLE IF NOT EXISTS health (
  board TEXT PRIMARY KEY, state TEXT NOT NULL, since INTEGER NOT NULL, reason TEXT NOT NULL,
  failed_recoveries INTEGER NOT NULL, passes INTEGER NOT NULL, evidence TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transitions (
  id INTEGER PRIMARY KEY, board TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
  at INTEGER NOT NULL, reason TEXT NOT NULL, evidence TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_by_board ON transitions (board, at);
`;

export interface HealthHistory {
  /** Every board's recorded health. */
  all(): Map<string, BoardHealth>;
  /** Records the board's new health, and the transition that led there if any. */
  record(board: string, health: BoardHealth, transition?: Transition): void;
  /** A board's transitions, oldest first (at most `limit`, the newest ones). */
  transitions(board: string, limit?: number): Transition[];
  close(): void;
}

interface HealthRow { board: string; state: string; since: number; reason: string; failed_recoveries: number; passes: number; evidence: string }
interface TransitionRow { board: string; from_state: string; to_state: string; at: number; reason: string; evidence: string }

const state = (s: string): HealthState => {
  if (!(HEALTH_STATES as readonly string[]).includes(s)) throw new Error(`health record: unknown state "${s}"`);
  return s as HealthState;
};

export function openHealthHistory(path: string): HealthHistory {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(DDL);
  const upsert = db.prepare(`INSERT INTO health (board, state, since, reason, failed_recoveries, passes, evidence) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (board) DO UPDATE SET state = excluded.state, since = excluded.since, reason = excluded.reason,
    failed_recoveries = excluded.failed_recoveries, passes = excluded.passes, evidence = excluded.evidence`);
  const insertTransition = db.prepare('INSERT INTO transitions (board, from_state, to_state, at, reason, evidence) VALUES (?, ?, ?, ?, ?, ?)');
  const selectAll = db.prepare('SELECT * FROM health ORDER BY board');
  const selectTransitions = db.prepare('SELECT * FROM (SELECT * FROM transitions WHERE board = ? ORDER BY id DESC LIMIT ?) ORDER BY id');
  const record = db.transaction((board: string, h: BoardHealth, tr?: Transition) => {
    upsert.run(board, h.state, h.since, h.reason, h.failedRecoveries, h.passes, JSON.stringify(h.evidence));
    if (tr) insertTransition.run(board, tr.from, tr.to, tr.at, tr.reason, JSON.stringify(tr.evidence));
  });
  return {
    all() {
      return new Map((selectAll.all() as HealthRow[]).map((r) => [r.board, {
        state: state(r.state), since: r.since, reason: r.reason, failedRecoveries: r.failed_recoveries, passes: r.passes,
        evidence: JSON.parse(r.evidence) as Evidence[],
      }]));
    },
    record(board, health, transition) {
      record(board, health, transition);
    },
    transitions(board, limit = 1000) {
      return (selectTransitions.all(board, limit) as TransitionRow[]).map((r) => ({
        board: r.board, from: state(r.from_state), to: state(r.to_state), at: r.at, reason: r.reason, evidence: JSON.parse(r.evidence) as Evidence[],
      }));
    },
    close() {
      db.close();
    },
  };
}
