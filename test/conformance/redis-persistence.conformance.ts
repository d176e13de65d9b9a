/**
 * Runs the aedes ecosystem's own persistence conformance suite, unchanged (the aedes-persistence
 * 11 one that persistence.conformance.ts runs on SQLite), against aedes-persistence-redis as a
 * cluster node opens it (broker/cluster.ts), on a redis-server this file starts on a free port
 * and stops (setup.sh installs redis-server; without it this fails).
 *   node --import tsx --test test/conformance/redis-persistence.conformance.ts
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { openRedisPersistence, type RedisPersistence } from '../../broker/cluster.ts';
import { startRedisServer, type RedisServer } from '../../host/desk/redis-server.ts';

interface AbstractSuiteOptions {
  test: typeof it;
  persistence: () => Promise<RedisPersistence>;
  testAsync: true;
}

const abstractPersistence = createRequire(import.meta.url)('aedes-persistence/abstract') as (
  opts: AbstractSuiteOptions,
) => void;

describe('redis persistence (aedes-persistence-redis) on a redis-server of its own', () => {
  let redis: RedisServer;
  // The suite destroys most instances itself; the rest are destroyed before redis stops, or
  // their connections would retry against a closed port.
  const opened: RedisPersistence[] = [];
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.all(opened.map((p) => p.destroy().catch(() => {})));
    await redis?.stop();
  });
  abstractPersistence({
    test: it,
    // The suite expects every instance to start empty: the database is emptied first.
    persistence: async () => {
      execFileSync('redis-cli', ['-p', String(redis.port), 'flushall'], { stdio: 'ignore' });
      const instance = openRedisPersistence(redis.url);
      opened.push(instance);
      return instance;
    },
    testAsync: true,
  });
});
