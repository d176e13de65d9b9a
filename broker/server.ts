/**
 * The desk broker: aedes behind its listeners (listeners.ts: MQTT and WebSocket, plain and
 * TLS), with the users/policy hooks and `$SYS` statistics wired in.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Aedes } from 'aedes';
import { systemClock, type Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/log.ts';
import { ackAfterStore } from './ack-after-store.ts';
import { bridgeAvailability } from './availability-bridge.ts';
import { bridgePresses } from './press-bridge.ts';
import { dedupeExactly } from './exact-dedupe.ts';
import { createAccessHooks } from './hooks.ts';
import { planListeners } from './listener-plan.ts';
import { openListeners, type TlsIdentity } from './listeners.ts';
import type { BackoffPolicy } from './login-backoff.ts';
import { LoginThrottle } from './login-throttle.ts';
import { boundOfflineQueues } from './offline-queues.ts';
import { BrokerStats, retainedCounter, startStatsPublisher } from './stats.ts';
import type { UserStore } from './users.ts';

export { BrokerListenError } from './listeners.ts';
export { BrokerConfigError } from './listener-plan.ts';

export interface DeskBrokerOptions {
  /** Interface for every listener. Default 127.0.0.1. */
  host?: string;
  /**
   * Plain MQTT port; 0 picks a free one, null runs none. Default 0. The plain listeners run
   * only where listener-plan.ts allows them: on loopback, or with `plainBeyondLoopback`.
   */
  port?: number | null;
  /** Plain WebSocket port; 0 picks a free one, null runs no WebSocket listener. Default 0. */
  wsPort?: number | null;
  /** Listen on plain MQTT and WebSocket beyond loopback too (passwords cross the network in clear). Default false. */
  plainBeyondLoopback?: boolean;
  /** The mqtts and wss listeners: the certificate they present, and their ports (0 or absent: any free one; null: none). */
  tls?: TlsIdentity & { port?: number | null; wssPort?: number | null };
  users: UserStore;
  /** An aedes persistence (e.g. from openSqlitePersistence); the caller keeps ownership. Default: in memory. */
  persistence?: unknown;
  /**
   * The message emitter aedes routes through (a cluster node's mqemitter-redis: cluster.ts);
   * the broker owns it and closes it. Default: aedes' in-process one.
   */
  mq?: unknown;
  logger: Logger;
  statsIntervalMs?: number;
  /** A cluster node's name, stamped on its $SYS snapshots so readers can add the nodes up. */
  node?: string;
  clock?: Clock;
  /** How failed logins back off (login-backoff.ts). Default DEFAULT_LOGIN_BACKOFF. */
  loginBackoff?: BackoffPolicy;
  /**
   * Messages kept per offline persistent session; older ones are dropped (offline-queues.ts).
   * Needs a persistence that can trim (the SQLite one). Default 1000.
   */
  maxQueuedPerSession?: number;
  /** A client whose socket takes no data for this long while a write waits is disconnected. Default 10 s. */
  drainTimeoutMs?: number;
}

export interface DeskBroker {
  /** null: no such listener (not asked for, or plain beyond loopback). */
  readonly tcpPort: number | null;
  readonly wsPort: number | null;
  readonly tlsPort: number | null;
  readonly wssPort: number | null;
  readonly broker: Aedes;
  /** Stops the listeners, disconnects every client and closes aedes. Idempotent. */
  close(): Promise<void>;
}

// aedes-persistence sets module.exports to its factory, but its typings declare
// `exports.default`, so TypeScript mistypes an ESM default import; require() it as documented.
const memoryPersistence = createRequire(import.meta.url)('aedes-persistence') as () => unknown;

export async function createDeskBroker(opts: DeskBrokerOptions): Promise<DeskBroker> {
  const { users, logger, host = '127.0.0.1', statsIntervalMs = 10_000 } = opts;
  const { maxQueuedPerSession = 1000, drainTimeoutMs = 10_000 } = opts;
  const ports = planListeners({ host, port: opts.port, wsPort: opts.wsPort, plainBeyondLoopback: opts.plainBeyondLoopback, tls: opts.tls });
  const clock = opts.clock ?? systemClock();
  const stats = new BrokerStats(clock);
  const queues = boundOfflineQueues({
    persistence: opts.persistence ?? memoryPersistence(),
    maxPerSession: maxQueuedPerSession,
    logger,
    onDropped: (count) => stats.countDropped(count),
  });
  if (!queues.bounded) logger.debug('offline queues unbounded: the persistence cannot trim them');
  const persistence = queues.persistence;
  const throttle = new LoginThrottle({ clock, policy: opts.loginBackoff });
  const hooks = createAccessHooks({ users, logger, throttle, clock, onSubscribed: (client, filter) => stats.subscribed(client, filter) });
  const acks = ackAfterStore(hooks.authorizePublish);

  const broker = await Aedes.createBroker({
    ...hooks,
    preConnect(client, packet, callback) {
      dedupeExactly(client);
      hooks.preConnect(client, packet, callback);
    },
    authorizePublish: acks.authorizePublish,
    persistence,
    ...(opts.mq ? { mq: opts.mq as never } : {}),
    // A subscriber whose socket stops taking data holds every message written to it meanwhile
    // and stalls the publishers that feed it (see concurrency below), until this disconnects it.
    // aedes' default is 60 s; a live client on a desk's network never stalls for 10.
    drainTimeout: drainTimeoutMs,
    // Flood cure. With concurrency N > 0, mqemitter queues messages beyond N in flight, and
    // its `released` callback starts the next queued message synchronously. A message nobody
    // listens to (or whose listeners answer at once, like a `#` subscription shown a $SYS
    // topic) completes inside that call, so draining a backlog of them recurses once per
    // message: released -> _do -> fastparallel -> released ... until RangeError. A flood
    // builds that backlog behind a slow subscriber; when the subscriber leaves (or only some
    // topics have one) the drain overflows the stack. With 0 mqemitter keeps no queue, so there
    // is nothing to drain. Memory stays bounded anyway: aedes reads a client's next batch of
    // packets only when the previous batch is delivered, so a slow subscriber throttles the
    // publishers through TCP; and a frozen one stalls only the publishers that feed it instead
    // of all N slots (aedes' drainTimeout then disconnects it).
    // A given `mq` is made with concurrency 0 too (cluster.ts); aedes uses this for its own only.
    concurrency: 0,
    authorizeForward: (client, packet) => {
      const allowed = hooks.authorizeForward(client, packet);
      if (allowed) stats.countSent();
      return allowed;
    },
  });
  acks.attach(broker);
  broker.on('client', (client) => queues.online(client.id));
  broker.on('clientDisconnect', (client) => queues.offline(client.id));
  broker.on('publish', (_packet, client) => {
    if (client) stats.countReceived();
  });
  bridgeAvailability(broker, logger);
  bridgePresses(broker, clock, logger);
  broker.on('unsubscribe', (filters, client) => stats.unsubscribed(client, filters));
  broker.on('clientError', (client, err) => logger.debug('client error', { clientId: client.id, error: err.message }));
  broker.on('connectionError', (_client, err) => logger.debug('connection error', { error: err.message }));
  // aedes emits 'error' for persistence failures; unheard, EventEmitter would throw it.
  (broker as EventEmitter).on('error', (err: Error) => logger.error('broker error', { error: err.message }));

  const stopBroker = () => new Promise<void>((resolve) => broker.close(() => resolve()));
  const identity = opts.tls && { cert: opts.tls.cert, key: opts.tls.key };
  const listeners = await openListeners({ host, ports, identity, handle: (stream, req) => broker.handle(stream, req), logger }).catch(async (err: unknown) => {
    await stopBroker();
    throw err;
  });

  const publisher = startStatsPublisher({
    broker,
    stats,
    countRetained: retainedCounter(persistence),
    clock,
    intervalMs: statsIntervalMs,
    ...(opts.node !== undefined ? { node: opts.node } : {}),
    logger,
  });
  const { tcp: tcpPort, ws: wsPort, tls: tlsPort, wss: wssPort } = listeners.ports;
  logger.info('broker listening', { host, tcpPort, wsPort, tlsPort, wssPort });

  let closing: Promise<void> | undefined;
  return {
    tcpPort,
    wsPort,
    tlsPort,
    wssPort,
    broker,
    close() {
      closing ??= (async () => {
        publisher.stop();
        await listeners.close(stopBroker);
        logger.info('broker closed');
      })();
      return closing;
    },
  };
}
