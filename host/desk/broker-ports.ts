/**
 * Which ports the desk's broker asks for. Explicit ports (`desk up --port`) are demanded; else
 * the ports it last listened on, stored in the state folder, so a desk brought up again keeps
 * its address (the boards' configs, a user's mosquitto_sub line, an open dashboard); else any
 * free port. Only a stored port may be given up for a free one when something else holds it.
 * Plain listeners run only where the broker allows them (on loopback, or `desk up --plain`).
 */
import { LISTENER_NAMES, plainListenersAllowed, type ListenerName } from '../../broker/index.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import type { BrokerPorts } from '../locations/broker-urls.ts';
import { readJsonIfExists, writeJsonAtomic } from '../locations/json-files.ts';

export type Listener = ListenerName;
export type { BrokerPorts };

/** Each listener's field in BrokerPorts (and in ports.json, run.json). */
const PORT_FIELD: Record<Listener, keyof BrokerPorts> = { tcp: 'tcpPort', ws: 'wsPort', tls: 'tlsPort', wss: 'wssPort' };
/** How the user knows each listener. */
export const LISTENER_LABEL: Record<Listener, string> = { tcp: 'TCP', ws: 'WebSocket', tls: 'TLS', wss: 'secure WebSocket' };

export interface WantedPort {
  /** 0: any free port. */
  port: number;
  /** It came from the state folder, so a free port may replace it. */
  stored: boolean;
}

/** null: that listener does not run. */
export type WantedPorts = Record<Listener, WantedPort | null>;

const isPort = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0 && (x as number) <= 65535;

export async function readStoredPorts(layout: DeskLayout): Promise<Partial<BrokerPorts>> {
  // A damaged file only costs the old address: the broker takes free ports and says so.
  const json = await readJsonIfExists<Record<string, unknown>>(layout.brokerPorts).catch(() => undefined);
  return Object.fromEntries(Object.values(PORT_FIELD).flatMap((f) => (isPort(json?.[f]) ? [[f, json[f]]] : [])));
}

export const storePorts = (layout: DeskLayout, ports: BrokerPorts) => writeJsonAtomic(layout.brokerPorts, ports);

export function wantedPorts(desk: DeskFile, stored: Partial<BrokerPorts>): WantedPorts {
  const plain = plainListenersAllowed(desk.broker.host, desk.broker.plain);
  const asked: Record<Listener, number | null> = {
    tcp: plain ? desk.broker.port : null,
    ws: plain ? desk.broker.wsPort : null,
    tls: desk.broker.tlsPort,
    wss: desk.broker.wssPort,
  };
  const want = (l: Listener): WantedPort | null => {
    const explicit = asked[l];
    const kept = stored[PORT_FIELD[l]];
    if (explicit === null) return null;
    return explicit === 0 && kept ? { port: kept, stored: true } : { port: explicit, stored: false };
  };
  return Object.fromEntries(LISTENER_NAMES.map((l) => [l, want(l)])) as WantedPorts;
}

export const portsOf = (w: WantedPorts): BrokerPorts => ({ tcpPort: w.tcp?.port ?? null, wsPort: w.ws?.port ?? null, tlsPort: w.tls?.port ?? null, wssPort: w.wss?.port ?? null });

/** A cluster's other nodes run node 0's listeners (no plain ones where it has none), on free ports. */
export function otherNodePorts(desk: DeskFile): BrokerPorts {
  const free = (p: number | null) => (p === null ? null : 0);
  const node0 = portsOf(wantedPorts(desk, {}));
  return { tcpPort: free(node0.tcpPort), wsPort: free(node0.wsPort), tlsPort: free(node0.tlsPort), wssPort: free(node0.wssPort) };
}

/** Just the ports of something that has them (a broker, a process). */
export const portsIn = (x: BrokerPorts): BrokerPorts => ({ tcpPort: x.tcpPort, wsPort: x.wsPort, tlsPort: x.tlsPort, wssPort: x.wssPort });

/** `TCP 1883, TLS 8883`: the listeners that run. */
export const describePorts = (ports: BrokerPorts) =>
  LISTENER_NAMES.flatMap((l) => (ports[PORT_FIELD[l]] === null ? [] : [`${LISTENER_LABEL[l]} ${ports[PORT_FIELD[l]]}`])).join(', ');
