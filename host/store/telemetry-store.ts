/**
 * One SQLite file per experiment run: every status, sample and event of a desk's boards as the
 * host received them, plus the runner's marks and metadata. Messages failing the contract's
 * `decode` are counted and reported through `onMalformed`, never stored as data.
 */
import type Database from 'better-sqlite3';
import { decode } from '../../broker/contract/messages.ts';
import { parseBoardTopic } from '../../broker/contract/topics.ts';
import { exportTablesCsv } from './csv.ts';
import { type PendingRows, addEvent, addStatus, emptyPending, pendingCount, telemetryParams, toJson } from './rows.ts';
import { SeqTracker } from './seq-tracker.ts';
import { TelemetryStoreError, openTelemetryDatabase } from './schema.ts';
import { type Counters, type Statements, prepareStatements, readCounters, readLastSamples } from './statements.ts';
import type { StoreCounts, TelemetryRow, TelemetryStore, TelemetryStoreOptions } from './types.ts';

export type { StoreCounts, TelemetryRow, TelemetryStore, TelemetryStoreOptions } from './types.ts';

export function openTelemetryStore(file: string, options: TelemetryStoreOptions): TelemetryStore {
  return new SqliteTelemetryStore(file, options);
}

class SqliteTelemetryStore implements TelemetryStore {
  readonly #file: string;
  readonly #options: TelemetryStoreOptions;
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #commit: (pending: PendingRows, counters: Counters) => void;
  #pending = emptyPending();
  /** Set by every message, so a flush writes counters changed by messages that added no row. */
  #received = false;
  #counters: Counters;
  #seqs: SeqTracker;

  constructor(file: string, options: TelemetryStoreOptions) {
    this.#file = file;
    this.#options = options;
    this.#db = openTelemetryDatabase(file);
    this.#sql = prepareStatements(this.#db);
    this.#commit = this.#db.transaction((pending, counters) => this.#sql.write(pending, counters)).immediate;
    this.#counters = readCounters(this.#sql);
    this.#seqs = new SeqTracker(readLastSamples(this.#sql));
  }

  ingest(topic: string, payload: Buffer, receivedAt: number): void {
    this.#assertOpen('ingest');
    this.#received = true;
    const t = parseBoardTopic(topic);
    if (!t || t.desk !== this.#options.desk) {
      this.#counters.foreign++;
      return;
    }
    // An empty payload clears a retained topic; cmd and reply are the host's own conversation
    // (a button's press is one more way into it); availability repeats the status, which is stored.
    if (payload.length === 0 || t.channel === 'cmd' || t.channel === 'reply' || t.channel === 'press' || t.channel === 'availability') {
      this.#counters.ignored++;
      return;
    }
    if (t.channel === 'telemetry') {
      const sample = this.#accept(topic, t.board, decode('telemetry', payload));
      if (sample) {
        const verdict = this.#seqs.judge(t.board, sample.seq, sample.at);
        if (verdict.kind === 'duplicate') this.#counters.duplicates++;
        else this.#pending.telemetry.push(telemetryParams(sample, receivedAt));
        if (verdict.kind === 'new') this.#counters.lostTelemetry += verdict.lost;
        if (verdict.kind === 'late' && verdict.wasCountedLost) this.#counters.lostTelemetry--;
      }
    } else if (t.channel === 'status') {
      const status = this.#accept(topic, t.board, decode('status', payload));
      if (status) addStatus(this.#pending, status, payload.toString(), receivedAt);
    } else {
      const event = this.#accept(topic, t.board, decode('events', payload));
      if (event) addEvent(this.#pending, event, payload.toString(), receivedAt);
    }
    if (pendingCount(this.#pending) >= (this.#options.batchRows ?? 1000)) this.flush();
  }

  // Marks and metadata are few and matter most when a run dies: committed at once.
  mark(name: string, at: number, detail?: unknown): void {
    this.#assertOpen('mark');
    this.#pending.marks.push([name, at, toJson(detail, { operation: 'mark', name }) ?? null]);
    this.flush();
  }

  setMeta(key: string, value: unknown): void {
    this.#assertOpen('setMeta');
    this.#pending.meta.push([key, toJson(value, { operation: 'setMeta', key }) ?? null]);
    this.flush();
  }

  flush(): void {
    this.#assertOpen('flush');
    const pending = this.#pending;
    const rows = pendingCount(pending);
    if (rows === 0 && !this.#received) return;
    this.#pending = emptyPending();
    this.#received = false;
    try {
      this.#commit(pending, this.#counters);
    } catch (cause) {
      // The batch is gone; the counters and last seqs go back to what the file holds, so the
      // next batch is judged against stored data, not against rows that never landed.
      this.#counters = readCounters(this.#sql);
      this.#seqs = new SeqTracker(readLastSamples(this.#sql));
      throw new TelemetryStoreError('telemetry batch commit failed; its rows are dropped', { file: this.#file, rows }, { cause });
    }
  }

  counts(): StoreCounts {
    this.flush();
    return { ...this.#sql.tableCounts(), ...this.#counters };
  }

  telemetry(board?: string): TelemetryRow[] {
    this.flush();
    return board === undefined ? this.#sql.telemetryAll.all() : this.#sql.telemetryOf.all(board);
  }

  bootPhases() { this.flush(); return this.#sql.bootPhases.all(); }
  guestBoots() { this.flush(); return this.#sql.guestBoots.all(); }

  marks(): { name: string; at: number; detail: unknown }[] {
    this.flush();
    return this.#sql.marks.all().map((m) => ({ name: m.name, at: m.at, detail: m.detail === null ? undefined : JSON.parse(m.detail) }));
  }

  meta(): Record<string, unknown> {
    this.flush();
    return Object.fromEntries(this.#sql.meta.all().map((m) => [m.key, JSON.parse(m.value)]));
  }

  exportCsv(dir: string): string[] {
    this.flush();
    return exportTablesCsv(this.#db, dir);
  }

  close(): void {
    if (!this.#db.open) return;
    try { this.flush(); } finally { this.#db.close(); }
  }

  /** The payload if it is valid and about the board its topic names; otherwise counts it. */
  #accept<T extends { board: string }>(topic: string, board: string, d: { ok: true; value: T } | { ok: false; reason: string }): T | undefined {
    const reason = !d.ok ? d.reason
      : d.value.board !== board ? `payload of board ${JSON.stringify(d.value.board)} on the topic of board "${board}"`
      : undefined;
    if (reason === undefined && d.ok) return d.value;
    this.#counters.malformed++;
    this.#options.onMalformed?.(topic, reason ?? 'invalid');
    return undefined;
  }

  #assertOpen(operation: string): void {
    if (!this.#db.open) throw new TelemetryStoreError('telemetry store is closed', { file: this.#file, operation });
  }
}
