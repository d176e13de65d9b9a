/**
 * Keeps a cluster desk's redis-server running, as broker-keeper.ts keeps a broker: one that
 * dies is started again at once on the same port with the same append-only file, so every
 * node's Redis clients (which reconnect by themselves) find their routing and their sessions
 * again. While it is down the nodes keep their clients but cannot route or store; that window
 * is what `lastDownMs` reports. One that keeps dying takes the desk down with the reason.
 */
import type { Logger } from '../../platform/log.ts';
import { createCrashWindow, CrashLimitError } from './crash-window.ts';
import { BROKER_CRASH_LIMIT, BROKER_CRASH_WINDOW_MS } from './broker-keeper.ts';
import { startRedisServer, type RedisServer } from './redis-server.ts';

export interface RedisHealth {
  url: string;
  /** null while it is being restarted (or after the desk gave up on it). */
  pid: number | null;
  restarts: number;
  lastExit: string | null;
  lastDownMs: number | null;
}

export interface KeptRedis {
  readonly url: string;
  health(): RedisHealth;
  close(): Promise<void>;
}

export interface RedisKeeperOptions {
  /** Its append-only file lives here. */
  dir: string;
  logger: Logger;
  onGiveUp(error: CrashLimitError): void;
  /** Default 'redis-server' on PATH. */
  binary?: string;
}

export async function keepRedisUp(opts: RedisKeeperOptions): Promise<KeptRedis> {
  const { logger } = opts;
  const first = await startRedisServer({ dir: opts.dir, ...(opts.binary ? { binary: opts.binary } : {}) });
  const port = first.port;
  const crashes = createCrashWindow(BROKER_CRASH_LIMIT, BROKER_CRASH_WINDOW_MS);
  const health: RedisHealth = { url: first.url, pid: first.pid, restarts: 0, lastExit: null, lastDownMs: null };
  let current: RedisServer | undefined;
  let restarting: Promise<void> | undefined;
  let closing = false;

  const restart = async (how: string) => {
    const downAt = Date.now();
    for (let why = how; ; ) {
      health.lastExit = why;
      if (crashes.record(Date.now())) {
        const error = new CrashLimitError('the desk\'s redis-server', BROKER_CRASH_LIMIT, BROKER_CRASH_WINDOW_MS, why);
        logger.error('redis-server crash-looping; giving up', { reason: error.message });
        return opts.onGiveUp(error);
      }
      try {
        const redis = await startRedisServer({ dir: opts.dir, port, ...(opts.binary ? { binary: opts.binary } : {}) });
        if (closing) return await redis.stop();
        health.restarts++;
        health.lastDownMs = Date.now() - downAt;
        logger.warn('redis-server restarted', { pid: redis.pid, restarts: health.restarts, downMs: health.lastDownMs, port });
        return watch(redis);
      } catch (err) {
        if (closing) return;
        why = (err as Error).message;
        logger.error('redis-server restart failed', { error: why });
      }
    }
  };

  const watch = (redis: RedisServer) => {
    current = redis;
    health.pid = redis.pid;
    void redis.exited.then((how) => {
      if (closing) return;
      current = undefined;
      health.pid = null;
      logger.error('redis-server died; restarting it on the same port and file', { pid: redis.pid, how });
      restarting = restart(how).finally(() => (restarting = undefined));
    });
  };
  watch(first);

  return {
    url: first.url,
    health: () => ({ ...health }),
    async close() {
      closing = true;
      await restarting;
      await current?.stop();
    },
  };
}
