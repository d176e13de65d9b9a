import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

/**
 * WAL checkpoints off the event loop. SQLite checkpoints on the committing connection once the
 * WAL reaches wal_autocheckpoint pages (1000), inside the COMMIT: copying the WAL back into the
 * database and its two fsyncs stalled the broker 5-35 ms several times a second under 490
 * boards' telemetry (bench/broker.ts), which was its p99 latency. Here the broker's connection
 * only appends to the WAL, and a worker thread with a connection of its own runs PASSIVE
 * checkpoints, which never block the writer; SQLite restarts the WAL from its beginning at the
 * first commit after a checkpoint has copied all of it.
 *
 * Durability is unchanged: a commit is durable once appended to the WAL (synchronous=NORMAL),
 * checkpointed or not. Should the worker fall behind or die, the broker's own connection still
 * checkpoints at BACKSTOP_PAGES, as before, only later.
 */
const INTERVAL_MS = 200;
const BACKSTOP_PAGES = 10_000;

// Plain CommonJS, so the worker needs no TypeScript loader (tests and benches run under tsx).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.once('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

export interface Checkpointer {
  /** Stops the worker and closes its connection; call before closing the broker's own. */
  stop(): Promise<void>;
}

export function startCheckpointer(db: Database, path: string): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { path, driver, intervalMs: INTERVAL_MS } });
  // Not a reason to keep the process alive, and a failure only means the backstop checkpoints.
  worker.unref();
  worker.on('error', () => undefined);
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        // Waited for now: an unreferenced worker's exit would not keep the loop alive for it.
        worker.ref();
        worker.postMessage('stop');
        setTimeout(() => void worker.terminate(), 2000).unref();
      });
      return stopped;
    },
  };
}
