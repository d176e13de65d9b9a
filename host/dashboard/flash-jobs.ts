/**
 * The dashboard's flash jobs: one at a time per desk (two runs would fight over the same
 * consoles), the last few kept in memory for the page to read, and the running one stopped
 * when the dashboard closes. How a job flashes is the runner's business.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../platform/log.ts';
import { ApiError } from './api-request.ts';

export interface BoardFlashResult {
  board: string;
  ok: boolean;
  method?: string;
  error?: { code: string; phase?: string; message: string };
  attempts?: number;
  ms?: number;
}

/** What a run gave: a result per board it reached, or `error` when the run itself failed. */
export interface FlashRun {
  results: BoardFlashResult[];
  error?: string;
}

/** Flashes `boards`; stops early when `signal` aborts. */
export type FlashRunner = (boards: string[], signal: AbortSignal) => Promise<FlashRun>;

export interface FlashJob {
  id: string;
  boards: string[];
  /** The user who started it. */
  by: string;
  /** `done`: every board flashed and back online; `failed`: any board or the run failed. */
  state: 'running' | 'done' | 'failed';
  startedAt: number;
  endedAt?: number;
  results?: BoardFlashResult[];
  error?: string;
}

export interface FlashJobs {
  start(boards: string[], by: string): FlashJob;
  get(id: string): FlashJob | undefined;
  /** Stops the running job and waits for it; no job starts after. */
  close(): Promise<void>;
}

/** Finished jobs kept for reading: enough for the page and a script or two. */
const KEEP = 10;

export function createFlashJobs(run: FlashRunner, logger: Logger, keep = KEEP): FlashJobs {
  const jobs = new Map<string, FlashJob>();
  let running: { job: FlashJob; stop: AbortController; ended: Promise<void> } | undefined;
  let closed = false;

  const finish = (job: FlashJob, outcome: FlashRun) => {
    job.endedAt = Date.now();
    job.results = outcome.results;
    if (outcome.error) job.error = outcome.error;
    job.state = !outcome.error && outcome.results.length === job.boards.length && outcome.results.every((r) => r.ok) ? 'done' : 'failed';
    logger.info('flash job ended', { id: job.id, state: job.state, ok: outcome.results.filter((r) => r.ok).length, boards: job.boards.length, error: job.error });
  };

  const forget = () => {
    for (const [id, job] of jobs) {
      if (jobs.size <= keep) break;
      if (job.state !== 'running') jobs.delete(id);
    }
  };

  return {
    start(boards, by) {
      if (closed) throw new ApiError(503, 'the dashboard is closing');
      if (running) throw new ApiError(409, `flash job ${running.job.id} (${running.job.boards.length} boards, started by ${running.job.by}) is still running: one at a time`);
      const job: FlashJob = { id: randomUUID(), boards, by, state: 'running', startedAt: Date.now() };
      const stop = new AbortController();
      logger.info('flash job started', { id: job.id, boards: boards.length, by });
      const ended = run(boards, stop.signal)
        .catch((err: Error): FlashRun => ({ results: [], error: err.message }))
        .then((outcome) => finish(job, outcome))
        .finally(() => { running = undefined; });
      running = { job, stop, ended };
      jobs.set(job.id, job);
      forget();
      return { ...job };
    },
    get(id) {
      const job = jobs.get(id);
      return job && { ...job };
    },
    async close() {
      closed = true;
      running?.stop.abort();
      await running?.ended;
    },
  };
}
