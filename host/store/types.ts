/** The telemetry store's public shapes (host/store/telemetry-store.ts opens one). */
import type { Counters } from './statements.ts';

export interface TelemetryRow {
  board: string; at: number; receivedAt: number; seq: number; uptimeS: number; powerW: number;
  volts: number; amps: number; energyJ: number; cpu: number; memBytes: number;
  guestsRunning: number; guestsReady: number | null; guestsFailed: number;
}

export interface StoreCounts extends Counters {
  telemetry: number; events: number; statuses: number; guestBoots: number;
}

export interface TelemetryStore {
  /**
   * One MQTT message as received: decoded and validated here; a malformed one is counted, never
   * stored as data. Throws (TelemetryStoreError) only when the batch it completes fails to commit.
   */
  ingest(topic: string, payload: Buffer, receivedAt: number): void;
  /** A runner phase (`launch-start`, `hold-start`, ...); committed at once with what is batched. */
  mark(name: string, at: number, detail?: unknown): void;
  /** Any JSON value; `undefined` removes the key. Committed at once. */
  setMeta(key: string, value: unknown): void;
  /** Commits what is batched; ingest commits by itself every `batchRows` rows. */
  flush(): void;
  counts(): StoreCounts;
  /** Ordered by board, then board time. Reads flush first, so they see everything ingested. */
  telemetry(board?: string): TelemetryRow[];
  bootPhases(): { board: string; phase: string; at: number }[];
  guestBoots(): { board: string; guest: string; bootMs: number; at: number }[];
  marks(): { name: string; at: number; detail: unknown }[];
  meta(): Record<string, unknown>;
  /** One RFC 4180 CSV per table in `dir` (created if needed); returns their paths. */
  exportCsv(dir: string): string[];
  close(): void;
}

export interface TelemetryStoreOptions {
  /** Messages of other desks are counted as `foreign` and dropped. */
  desk: string;
  /** Rows per commit (default 1000): one WAL append per batch, not per message. */
  batchRows?: number;
  /** Told about each malformed message, for the log; the store only counts them. */
  onMalformed?: (topic: string, reason: string) => void;
}
