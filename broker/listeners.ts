/**
 * The desk broker's listeners, each feeding aedes: plain MQTT (`tcp`), MQTT over TLS (`tls`,
 * mqtts), MQTT over WebSocket at WS_PATH (`ws`, for browsers) and over secure WebSocket (`wss`).
 * The TLS pair presents the certificate it is given; which listeners may run on an address is
 * listener-plan.ts's business, the caller's ports say which ones do.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../platform/log.ts';
import { WS_PATH } from './contract/topics.ts';

export const LISTENER_NAMES = ['tcp', 'ws', 'tls', 'wss'] as const;
export type ListenerName = (typeof LISTENER_NAMES)[number];
/** Per listener: the port (0 asks for any free one), or null for a listener that does not run. */
export type ListenerPorts = Record<ListenerName, number | null>;

/** PEM certificate (chain) and private key the TLS listeners present. */
export interface TlsIdentity {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface ListenersOptions {
  host: string;
  ports: ListenerPorts;
  /** Needed when `tls` or `wss` has a port. */
  identity?: TlsIdentity;
  handle(stream: Duplex, req?: IncomingMessage): void;
  logger: Logger;
}

export interface Listeners {
  /** The ports bound; null where no listener runs. */
  readonly ports: ListenerPorts;
  /** Stops accepting, lets `closeBroker` close aedes' clients (publishing their wills), then cuts what is left. */
  close(closeBroker: () => Promise<void>): Promise<void>;
}

export class BrokerListenError extends Error {
  override readonly name = 'BrokerListenError';
  constructor(readonly listener: ListenerName, readonly host: string, readonly port: number, cause: unknown) {
    super(`${listener} listener cannot listen on ${host}:${port}: ${(cause as Error).message}`, { cause });
  }
}

/** A TLS handshake that has not finished by then is dropped, as aedes drops a connection without CONNECT. */
const HANDSHAKE_TIMEOUT_MS = 30_000;

export async function openListeners(opts: ListenersOptions): Promise<Listeners> {
  const { host, logger } = opts;
  const identity = (name: ListenerName): TlsIdentity => {
    if (!opts.identity) throw new BrokerListenError(name, host, opts.ports[name] ?? 0, new Error('no TLS certificate and key given'));
    return opts.identity;
  };
  // Raw sockets, TLS ones from before their handshake: a connection that never sent CONNECT is no aedes client yet.
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const webSockets: WebSocketServer[] = [];
  const httpServers: Array<HttpServer | HttpsServer> = [];

  const streamServer = (name: 'tcp' | 'tls'): Server => {
    const server = name === 'tls'
      ? createTlsServer({ ...identity(name), handshakeTimeout: HANDSHAKE_TIMEOUT_MS }, (socket) => opts.handle(socket))
          .on('tlsClientError', (err) => logger.debug('tls handshake failed', { listener: name, error: err.message }))
      : createTcpServer((socket) => opts.handle(socket));
    return server.on('connection', track);
  };
  const webSocketServer = (name: 'ws' | 'wss'): Server => {
    const refuse = (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end(`MQTT over WebSocket at ${WS_PATH}\n`);
    };
    const server = name === 'wss' ? createHttpsServer({ ...identity(name), handshakeTimeout: HANDSHAKE_TIMEOUT_MS }, refuse) : createHttpServer(refuse);
    const wss = new WebSocketServer({ server, path: WS_PATH });
    // ws re-emits the HTTP server's errors here; listen() reports those, the rest are per-socket.
    wss.on('error', (err) => logger.debug('websocket server error', { listener: name, error: err.message }));
    wss.on('connection', (ws, req) => opts.handle(createWebSocketStream(ws), req));
    webSockets.push(wss);
    httpServers.push(server);
    return server;
  };

  const servers: Server[] = [];
  const close = async (closeBroker: () => Promise<void>) => {
    const closed = Promise.all(servers.map(stopAccepting));
    webSockets.forEach((wss) => wss.close());
    await closeBroker();
    sockets.forEach((s) => s.destroy());
    webSockets.forEach((wss) => wss.clients.forEach((ws) => ws.terminate()));
    httpServers.forEach((server) => server.closeAllConnections());
    await closed;
  };

  const ports: ListenerPorts = { tcp: null, ws: null, tls: null, wss: null };
  try {
    for (const name of LISTENER_NAMES) {
      const port = opts.ports[name];
      if (port === null) continue;
      const server = name === 'tcp' || name === 'tls' ? streamServer(name) : webSocketServer(name);
      servers.push(server);
      ports[name] = await listen(server, name, host, port);
    }
  } catch (err) {
    await close(async () => undefined);
    throw err;
  }
  return { ports, close };
}

function listen(server: Server, listener: ListenerName, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new BrokerListenError(listener, host, port, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function stopAccepting(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
