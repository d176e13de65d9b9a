/**
 * Which ports the desk's broker asks for. Explicit ports (`desk up --port`) are demanded; else
 * the ports it last listened on, stored in the state folder, so a desk brought up again keeps
 * its address (the boards' configs, a user's mosquitto_sub line, an open dashboard); else any
 * free port. Only a stored port may be given up for a free one when something else holds it.
 */
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import { readJsonIfExists, writeJsonAtomic } from '../locations/json-files.ts';

export type Listener = 'tcp' | 'ws';

export interface BrokerPorts {
  tcpPort: number;
  /** null: no WebSocket listener. */
  wsPort: number | null;
}

export interface WantedPort {
  /** 0: any free port. */
  port: number;
  /** It came from the state folder, so a free port may replace it. */
  stored: boolean;
}

export interface WantedPorts {
  tcp: WantedPort;
  ws: WantedPort | null;
}

const isPort = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0 && (x as number) <= 65535;

export async function readStoredPorts(layout: DeskLayout): Promise<Partial<BrokerPorts>> {
  // A damaged file only costs the old address: the broker takes free ports and says so.
  const json = await readJsonIfExists<Record<string, unknown>>(layout.brokerPorts).catch(() => undefined);
  return { ...(isPort(json?.tcpPort) ? { tcpPort: json.tcpPort } : {}), ...(isPort(json?.wsPort) ? { wsPort: json.wsPort } : {}) };
}

export const storePorts = (layout: DeskLayout, ports: BrokerPorts) => writeJsonAtomic(layout.brokerPorts, ports);

export function wantedPorts(desk: DeskFile, stored: Partial<BrokerPorts>): WantedPorts {
  const want = (explicit: number, kept: number | null | undefined): WantedPort =>
    explicit === 0 && kept ? { port: kept, stored: true } : { port: explicit, stored: false };
  return {
    tcp: want(desk.broker.port, stored.tcpPort),
    ws: desk.broker.wsPort === null ? null : want(desk.broker.wsPort, stored.wsPort),
  };
}

export const portsOf = (w: WantedPorts): BrokerPorts => ({ tcpPort: w.tcp.port, wsPort: w.ws?.port ?? null });
