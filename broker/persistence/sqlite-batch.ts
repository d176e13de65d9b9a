import type { Database, Transaction } from 'better-sqlite3';
import { CommitError, PersistenceClosedError } from './sqlite-errors.ts';

/** Runs one queued operation inside the batch; returns how to settle its promise after commit. */
interface Queued {
  attempt(): () => void;
  reject(error: unknown): void;
}

/**
 * When a queued operation needs its COMMIT. 'now': at the end of this event-loop turn (someone
 * waits on it: a PUBACK, a delivery, a read). 'soon': within LAZY_MS, riding along with the next
 * 'now' batch if one comes first; for bookkeeping nobody waits on for long (an acknowledged
 * delivery's delete), so it stops costing a commit of its own at a few hundred messages a second.
 */
export type Urgency = 'now' | 'soon';

/** Bounds how long a 'soon' operation waits for a batch to ride in. */
export const LAZY_MS = 5;

/**
 * Group commit. Every database operation is queued and the queue is applied in one transaction
 * at the end of the current event-loop turn, so hundreds of boards publishing retained telemetry
 * cost one WAL commit per turn instead of one per message. Promises settle only after COMMIT,
 * which is what lets aedes acknowledge a QoS 2 PUBLISH knowing the packet is committed. Reads go
 * through the same queue so they observe every write requested before them.
 */
export class GroupCommit {
  readonly #isolate: Transaction<(body: () => void) => void>;
  readonly #commit: Transaction<(batch: readonly Queued[]) => Array<() => void>>;
  readonly #onRollback: () => void;
  #queue: Queued[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #lazy: NodeJS.Timeout | undefined;
  #closed = false;

  /** `onRollback` lets owners of in-memory mirrors resynchronise after a failed commit. */
  constructor(db: Database, onRollback: () => void) {
    // Called inside #commit, better-sqlite3 turns this into a SAVEPOINT: an operation that throws
    // (such as "no such packet") undoes only its own writes, not its neighbours' in the batch.
    this.#isolate = db.transaction((body: () => void) => body());
    this.#commit = db.transaction((batch: readonly Queued[]) => batch.map((op) => op.attempt()));
    this.#onRollback = onRollback;
  }

  /**
   * `writes`: 'one' when the body runs at most one writing statement (reads and checks besides).
   * SQLite undoes a failing statement's own changes by itself, so such a body needs no savepoint
   * of its own; a SAVEPOINT + RELEASE per operation was most of a small batch's cost.
   */
  run<T>(operation: string, body: () => T, writes: 'one' | 'many' = 'many', urgency: Urgency = 'now'): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new PersistenceClosedError('persistence is destroyed', { operation }));
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        attempt: () => {
          let value: T;
          try {
            if (writes === 'one') value = body();
            else this.#isolate(() => {
              value = body();
            });
          } catch (error) {
            return () => reject(error);
          }
          return () => resolve(value);
        },
        reject,
      });
      if (urgency === 'now') this.#scheduled ??= setImmediate(() => this.flush());
      else if (this.#scheduled === undefined) this.#lazy ??= setTimeout(() => this.#lazyDue(), LAZY_MS);
    });
  }

  /**
   * The timers phase comes before the poll phase that brings new work: flushing here would
   * commit the 'soon' operations alone and the poll phase's publishes in a second commit right
   * after (seen under load, when every loop iteration outlasts LAZY_MS). At the end of this
   * iteration they share one.
   */
  #lazyDue(): void {
    this.#lazy = undefined;
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    if (this.#lazy !== undefined) clearTimeout(this.#lazy);
    this.#scheduled = undefined;
    this.#lazy = undefined;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    let settlers: Array<() => void>;
    try {
      // IMMEDIATE takes the write lock up front, so another connection on the file (an inspecting
      // CLI, say) makes this wait for busy_timeout instead of failing halfway through the batch.
      settlers = this.#commit.immediate(batch);
    } catch (cause) {
      const context = { operations: batch.length };
      let error = new CommitError('batch transaction failed', context, { cause });
      try {
        this.#onRollback();
      } catch (resyncError) {
        // Reported to the callers rather than thrown: this runs from setImmediate, where a throw
        // would take the whole broker down.
        error = new CommitError('batch transaction failed and resynchronisation failed', context, {
          cause: new AggregateError([cause, resyncError]),
        });
      }
      for (const op of batch) op.reject(error);
      return;
    }
    for (const settle of settlers) settle();
  }

  /** Applies what is already queued, then refuses new work. */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}
