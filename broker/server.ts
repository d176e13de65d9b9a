/**
 * The desk broker: aedes behind a TCP listener and a WebSocket listener (`/mqtt`, for
 * browsers), with the users/policy hooks and `$SYS` statistics wired in.
 */
import type { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { systemClock, type Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/log.ts';
import { WS_PATH } from './contract/topics.ts';
import { ackAfterStore } from './ack-after-store.ts';
import { dedupeExactly } from './exact-dedupe.ts';
import { createAccessHooks } from './hooks.ts';
import type { BackoffPolicy } from './login-backoff.ts';
import { LoginThrottle } from './login-throttle.ts';
import { boundOfflineQueues } from './offline-queues.ts';
import { BrokerStats, retainedCounter, startStatsPublisher } from './stats.ts';
import type { UserStore } from './users.ts';

export interface DeskBrokerOptions {
  /** Interface for both listeners. Default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** WebSocket port; 0 picks a free one, null runs no WebSocket listener. Default 0. */
  wsPort?: number | null;
  users: UserStore;
  /** An aedes persistence (e.g. from openSqlitePersistence); the caller keeps ownership. Default: in memory. */
  persistence?: unknown;
  logger: Logger;
  statsIntervalMs?: number;
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
  readonly tcpPort: number;
  readonly wsPort: number | null;
  readonly broker: Aedes;
  /** Stops the listeners, disconnects every client and closes aedes. Idempotent. */
  close(): Promise<void>;
}

export class BrokerListenError extends Error {
  override readonly name = 'BrokerListenError';
  constructor(readonly listener: 'tcp' | 'ws', readonly host: string, readonly port: number, cause: unknown) {
    super(`${listener} listener cannot listen on ${host}:${port}: ${(cause as Error).message}`, { cause });
  }
}


// aedes-persistence sets module.exports to its factory, but its typings declare
// `exports.default`, so TypeScript mistypes an ESM default import; require() it as documented.
const memoryPersistence = createRequire(import.meta.url)('aedes-persistence') as () => unknown;

export async function createDeskBroker(opts: DeskBrokerOptions): Promise<DeskBroker> {
  const { users, logger, host = '127.0.0.1', port = 0, wsPort = 0, statsIntervalMs = 10_000 } = opts;
  const { maxQueuedPerSession = 1000, drainTimeoutMs = 10_000 } = opts;
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
  broker.on('unsubscribe', (filters, client) => stats.unsubscribed(client, filters));
  broker.on('clientError', (client, err) => logger.debug('client error', { clientId: client.id, error: err.message }));
  broker.on('connectionError', (_client, err) => logger.debug('connection error', { error: err.message }));
  // aedes emits 'error' for persistence failures; unheard, EventEmitter would throw it.
  (broker as EventEmitter).on('error', (err: Error) => logger.error('broker error', { error: err.message }));

  const sockets = new Set<Socket>();
  const tcp = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end(`MQTT over WebSocket at ${WS_PATH}\n`);
  });
  const wss = new WebSocketServer({ server: http, path: WS_PATH });
  // ws re-emits the HTTP server's errors here; listen() reports those, the rest are per-socket.
  wss.on('error', (err) => logger.debug('websocket server error', { error: err.message }));
  wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));

  const stopBroker = () => new Promise<void>((resolve) => broker.close(() => resolve()));
  // Stop accepting, let aedes close its clients (publishing their wills), then cut what is
  // left: connections that never sent CONNECT are not aedes clients yet.
  const shutdown = async () => {
    const closed = Promise.all([stopAccepting(tcp), stopAccepting(http)]);
    wss.close();
    await stopBroker();
    sockets.forEach((s) => s.destroy());
    wss.clients.forEach((ws) => ws.terminate());
    http.closeAllConnections();
    await closed;
  };

  let boundWs: number | null = null;
  try {
    await listen(tcp, 'tcp', host, port);
    if (wsPort !== null) boundWs = await listen(http, 'ws', host, wsPort);
  } catch (err) {
    await shutdown();
    throw err;
  }

  const publisher = startStatsPublisher({
    broker,
    stats,
    countRetained: retainedCounter(persistence),
    clock,
    intervalMs: statsIntervalMs,
    logger,
  });
  const tcpPort = (tcp.address() as AddressInfo).port;
  logger.info('broker listening', { host, tcpPort, wsPort: boundWs });

  let closing: Promise<void> | undefined;
  return {
    tcpPort,
    wsPort: boundWs,
    broker,
    close() {
      closing ??= (async () => {
        publisher.stop();
        await shutdown();
        logger.info('broker closed');
      })();
      return closing;
    },
  };
}

function listen(server: Server | HttpServer, listener: 'tcp' | 'ws', host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new BrokerListenError(listener, host, port, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function stopAccepting(server: Server | HttpServer): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
