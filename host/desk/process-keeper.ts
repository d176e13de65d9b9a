/**
 * Keeps one of the desk's own processes running (its broker, a cluster's redis-server): one that
 * exits on its own is started again at once with `restart` (same ports, same files); one that
 * keeps dying is given up on, with the reason, rather than flapping. `what` names it in logs.
 */
import type { Logger } from '../../platform/log.ts';
import { createCrashWindow, CrashLimitError } from './crash-window.ts';

/** Five crashes within a minute: a one-off fault is cured by restarts, one at every start is given up within seconds. */
export const CRASH_LIMIT = 5;
export const CRASH_WINDOW_MS = 60_000;

export interface KeptProcess {
  readonly pid: number;
  /** Settles with how it ended (`signal SIGKILL`), however it did. */
  readonly exited: Promise<string>;
}

export interface KeeperHealth {
  /** null while it is being restarted (or after the desk gave up on it). */
  pid: number | null;
  restarts: number;
  /** How the last process ended, or why its restart failed. */
  lastExit: string | null;
  /** From its last crash until it ran again. */
  lastDownMs: number | null;
}

export interface ProcessKeeperOptions<P extends KeptProcess> {
  /** `the desk broker`, `the desk's redis-server`. */
  what: string;
  first: P;
  restart(): Promise<P>;
  /** Ends it for good (the desk going down). */
  stop(p: P): Promise<void>;
  logger: Logger;
  /** Extra fields for its log lines (ports, the log file). */
  context?: Record<string, unknown>;
  /** Called once, when it crashed too often: the desk must go down with this reason. */
  onGiveUp(error: CrashLimitError): void;
}

export function keepProcess<P extends KeptProcess>(o: ProcessKeeperOptions<P>) {
  const { logger, context = {} } = o;
  const crashes = createCrashWindow(CRASH_LIMIT, CRASH_WINDOW_MS);
  const health: KeeperHealth = { pid: o.first.pid, restarts: 0, lastExit: null, lastDownMs: null };
  let current: P | undefined;
  let restarting: Promise<void> | undefined;
  let closing = false;

  const restart = async (how: string) => {
    const downAt = Date.now();
    for (let why = how; ; ) {
      health.lastExit = why;
      if (crashes.record(Date.now())) {
        const error = new CrashLimitError(o.what, CRASH_LIMIT, CRASH_WINDOW_MS, why);
        logger.error(`${o.what} crash-looping; giving up`, { reason: error.message, ...context });
        return o.onGiveUp(error);
      }
      try {
        const p = await o.restart();
        if (closing) return await o.stop(p);
        health.restarts++;
        health.lastDownMs = Date.now() - downAt;
        logger.warn(`${o.what} restarted`, { pid: p.pid, restarts: health.restarts, downMs: health.lastDownMs, ...context });
        return watch(p);
      } catch (err) {
        if (closing) return;
        why = (err as Error).message;
        logger.error(`${o.what} restart failed`, { error: why });
      }
    }
  };

  const watch = (p: P) => {
    current = p;
    health.pid = p.pid;
    void p.exited.then((how) => {
      if (closing) return;
      current = undefined;
      health.pid = null;
      logger.error(`${o.what} died; restarting it`, { pid: p.pid, how, ...context });
      restarting = restart(how).finally(() => (restarting = undefined));
    });
  };
  watch(o.first);

  return {
    health: (): KeeperHealth => ({ ...health }),
    async close(): Promise<void> {
      closing = true;
      await restarting;
      if (current) await o.stop(current);
    },
  };
}
