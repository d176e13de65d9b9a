/**
 * A broker node of a cluster: several desk brokers sharing one redis-server. Messages are
 * routed between the nodes by mqemitter-redis (every publish goes through Redis pub/sub, so a
 * subscriber on one node gets what a publisher on another sent), and sessions, subscriptions,
 * queued QoS 1/2 messages, wills and retained messages live in Redis through
 * aedes-persistence-redis, so a client that loses its node finds its session on any other.
 * Users and ACLs are not in Redis: every node loads the same users file (hooks.ts as on one
 * broker).
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

const require = createRequire(import.meta.url);

interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: object;
}

/** A redis:// (or rediss://) URL as ioredis' options; both libraries open their own connections. */
export function redisOptions(url: string): RedisConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--cluster wants a redis://host:port URL, not "${url}"`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--cluster wants a redis:// or rediss:// URL, not "${url}"`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new Error(`"${url}": the path is a database number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** aedes-persistence-redis' promise interface (what aedes 1.x calls), without its callback wrapper. */
export interface RedisPersistence {
  setup(broker: unknown): Promise<void>;
  destroy(): Promise<void>;
}

type Streams = Record<(typeof STREAMS)[number] | 'streamWill', (arg: unknown) => AsyncIterable<unknown>>;
type AsyncRedisPersistence = new (opts: object) => RedisPersistence & Streams;

/** The methods aedes-persistence 11's interface answers with a Readable. */
const STREAMS = ['outgoingStream', 'createRetainedStream', 'createRetainedStreamCombi', 'getClientList'] as const;

interface Will {
  clientId: string;
  brokerId: string;
}

/**
 * aedes-persistence-redis' async class: its main export wraps it in a callback adapter for
 * aedes 0.x, while aedes 1.x awaits `setup` and the promises directly. One change: its bulk
 * reads are bare async generators, where aedes-persistence 11's interface has Readables (as
 * the memory and SQLite stores give): aedes 1.2 pipes createRetainedStreamCombi's answer
 * (`stream.pipe is not a function` at the first SUBSCRIBE), and the conformance suite reads
 * outgoingStream's readableHighWaterMark. Each is wrapped in Readable.from.
 */
export function openRedisPersistence(url: string): RedisPersistence {
  const Base = require('aedes-persistence-redis/asyncPersistence.js') as AsyncRedisPersistence;
  class Persistence extends Base {}
  for (const name of STREAMS) {
    const inner = Base.prototype[name];
    Object.defineProperty(Persistence.prototype, name, {
      value(this: Streams, arg: unknown) {
        const answer = inner.call(this, arg);
        return answer instanceof Readable ? answer : Readable.from(answer);
      },
    });
  }
  const baseStreamWill = Base.prototype.streamWill;
  /**
   * The wills of dead nodes, minus those of clients that have since connected to a live node
   * with a will of their own there: aedes' CONNECT deletes only the will its own node kept
   * (will:<node>:<client>), so without this a board that failed over would, once the other
   * nodes declare its old node dead (3 heartbeats), have its stale will published: a
   * retained "offline" status for a board that is online. Those stale wills are deleted.
   */
  Object.defineProperty(Persistence.prototype, 'streamWill', {
    value(this: RedisPersistence & { delWill(c: { id: string; brokerId: string }): Promise<unknown> }, brokers?: Record<string, number>): Readable {
      const all = baseStreamWill.call(this, undefined) as AsyncIterable<Will>;
      const store = this;
      return Readable.from((async function* () {
        const wills: Will[] = [];
        for await (const w of all) wills.push(w);
        const live = new Set(wills.filter((w) => brokers?.[w.brokerId] !== undefined).map((w) => w.clientId));
        for (const w of wills) {
          if (brokers?.[w.brokerId] !== undefined) continue;
          if (live.has(w.clientId)) await store.delWill({ id: w.clientId, brokerId: w.brokerId });
          else yield w;
        }
      })());
    },
  });
  // maxSessionDelivery: at most 1000 queued messages per session are delivered at a reconnect,
  // as offline-queues.ts keeps 1000 on one broker.
  return new Persistence({ ...redisOptions(url), maxSessionDelivery: 1000 });
}

export interface RedisEmitter {
  close(cb: () => void): void;
  state: { on(event: 'error', f: (e: Error) => void): void };
}

export function openRedisEmitter(url: string): RedisEmitter {
  const mqemitterRedis = require('mqemitter-redis') as (opts: object) => RedisEmitter;
  // concurrency 0: the flood cure of server.ts holds here too. mqemitter-redis hands these
  // options to mqemitter (MQEmitter.call(this, opts)), whose local delivery of what arrives
  // from Redis is the same _do/released path: with 0 it keeps no queue, so no recursive drain.
  // matchEmptyLevels as aedes' own emitter ([MQTT-4.7.1-3]).
  return mqemitterRedis({ ...redisOptions(url), concurrency: 0, matchEmptyLevels: true });
}

export interface ClusterStore {
  persistence: RedisPersistence;
  mq: RedisEmitter;
  /**
   * After the broker closed (which closes `mq`): disconnects the persistence. Its destroy()
   * unsubscribes from the closed emitter first, which may never answer: bounded.
   */
  destroy(): Promise<void>;
}

export function openClusterStore(url: string, onError: (e: Error) => void): ClusterStore {
  const mq = openRedisEmitter(url);
  mq.state.on('error', onError);
  const persistence = openRedisPersistence(url);
  let destroying: Promise<void> | undefined;
  return {
    persistence,
    mq,
    destroy() {
      destroying ??= Promise.race([
        persistence.destroy().catch((e: Error) => onError(e)),
        new Promise<void>((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
      return destroying;
    },
  };
}
