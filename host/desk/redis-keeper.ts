/**
 * Keeps a cluster desk's redis-server running (process-keeper.ts, as the broker is kept): one
 * that dies is started again at once on the same port with the same append-only file, so every
 * node's Redis clients (which reconnect by themselves) find their routing and their sessions
 * again. While it is down the nodes keep their clients but cannot route or store; that window
 * is what `lastDownMs` reports. One that keeps dying takes the desk down with the reason.
 */
import type { Logger } from '../../platform/log.ts';
import type { CrashLimitError } from './crash-window.ts';
import { keepProcess, type KeeperHealth } from './process-keeper.ts';
import { startRedisServer } from './redis-server.ts';

export type RedisHealth = KeeperHealth & { url: string };

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
  const start = (port?: number) => startRedisServer({ dir: opts.dir, ...(port !== undefined ? { port } : {}), ...(opts.binary ? { binary: opts.binary } : {}) });
  const first = await start();
  const kept = keepProcess({
    what: 'the desk\'s redis-server', first, logger: opts.logger, onGiveUp: opts.onGiveUp, context: { port: first.port },
    restart: () => start(first.port),
    stop: (redis) => redis.stop(),
  });
  return { url: first.url, health: () => ({ url: first.url, ...kept.health() }), close: kept.close };
}
