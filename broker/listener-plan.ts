/**
 * Which of the desk broker's listeners may run on an address. Plain MQTT and WebSocket carry
 * passwords and commands in clear: on loopback only this machine can see them, and stock tools
 * (mosquitto_sub without a CA, a page served over plain HTTP) keep working; an address beyond
 * loopback gets TLS listeners only, unless whoever starts the broker asks for plain ones too.
 */
import { BlockList, isIP } from 'node:net';
import type { ListenerPorts } from './listeners.ts';

/** A name or address that only this machine reaches (127.0.0.0/8, ::1, IPv4-mapped loopback, localhost). */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  const address = mapped ? mapped[1]! : host;
  const family = isIP(address);
  if (family === 0) return false;
  const loopback = new BlockList();
  loopback.addSubnet('127.0.0.0', 8, 'ipv4');
  loopback.addAddress('::1', 'ipv6');
  return loopback.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Plain (unencrypted) listeners on `host`: always on loopback, elsewhere only when asked for. */
export function plainListenersAllowed(host: string, plainAsked: boolean): boolean {
  return plainAsked || isLoopback(host);
}

/** What a broker's caller asks for: a port 0 or absent is any free one, null none. */
export interface ListenerAsk {
  host: string;
  port?: number | null;
  wsPort?: number | null;
  plainBeyondLoopback?: boolean;
  /** Absent: no certificate, so no TLS listeners. */
  tls?: { port?: number | null; wssPort?: number | null };
}

export class BrokerConfigError extends Error {
  override readonly name = 'BrokerConfigError';
}

/** The listeners that run: the TLS ones when there is a certificate, the plain ones where allowed. */
export function planListeners(ask: ListenerAsk): ListenerPorts {
  const plain = plainListenersAllowed(ask.host, ask.plainBeyondLoopback ?? false);
  const port = (p: number | null | undefined) => (p === undefined ? 0 : p);
  const ports: ListenerPorts = {
    tcp: plain ? port(ask.port) : null,
    ws: plain ? port(ask.wsPort) : null,
    tls: ask.tls ? port(ask.tls.port) : null,
    wss: ask.tls ? port(ask.tls.wssPort) : null,
  };
  if (Object.values(ports).every((p) => p === null)) {
    throw new BrokerConfigError(`a broker on ${ask.host} would have no listener: ${plain ? 'every port is turned off' : 'beyond loopback it needs a TLS certificate, or plain listeners asked for'}`);
  }
  return ports;
}
