/**
 * A desk broker's listeners as URLs, for clients on this machine: a broker listening on every
 * interface (0.0.0.0, ::) is reached over loopback, which its certificate covers.
 */
import { WS_PATH } from '../../broker/contract/topics.ts';

/** Per listener its port; null: that listener does not run. */
export interface BrokerPorts {
  /** Plain MQTT (mqtt://). */
  tcpPort: number | null;
  /** Plain MQTT over WebSocket (ws://, path /mqtt). */
  wsPort: number | null;
  /** MQTT over TLS (mqtts://). */
  tlsPort: number | null;
  /** MQTT over secure WebSocket (wss://, path /mqtt). */
  wssPort: number | null;
}

export interface BrokerUrls {
  /** mqtt://: plain, null when the broker is TLS-only (beyond loopback). */
  url: string | null;
  ws: string | null;
  mqtts: string | null;
  wss: string | null;
}

/** The address a client on this machine connects to for a broker listening on `host`. */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/** `host` as the authority part of a URL (IPv6 literals in brackets). */
export const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

export function brokerUrls(host: string, ports: BrokerPorts): BrokerUrls {
  const at = urlHost(reachableHost(host));
  const url = (scheme: string, port: number | null, path = '') => (port === null ? null : `${scheme}://${at}:${port}${path}`);
  return {
    url: url('mqtt', ports.tcpPort),
    ws: url('ws', ports.wsPort, WS_PATH),
    mqtts: url('mqtts', ports.tlsPort),
    wss: url('wss', ports.wssPort, WS_PATH),
  };
}
