/**
 * The kernel objects a board's guest networks are made of, as plain data: the desired state
 * (desired.ts) and the current one (current.ts) are both maps of them by key, and the planner
 * (planner.ts) compares the two. `ns: null` is the board's own namespace.
 */

export type NetObject =
  /** A guest's or router's namespace; a router's forwards (net.ipv4.ip_forward=1). */
  | { kind: 'netns'; name: string; forward: boolean }
  | { kind: 'bridge'; name: string }
  /** learning on, flooding by static all-zero fdb entries (see desired.ts). */
  | { kind: 'vxlan'; name: string; vni: number; local: string; bridge: string }
  | { kind: 'fdb'; dev: string; dst: string }
  /** A veth from the board's bridge into a namespace: `host` on the bridge, `inner` inside `ns` with `address` (a.b.c.d/len). */
  | { kind: 'veth'; host: string; bridge: string; ns: string; inner: string; address: string }
  /** A static route inside a namespace; `to` is `default` or a prefix. */
  | { kind: 'route'; ns: string; to: string; via: string }
  /** The root qdisc of a device: its tc arguments after `root`, e.g. `tbf rate 10mbit burst 32kb latency 50ms`. */
  | { kind: 'qdisc'; ns: string | null; dev: string; shape: Shape };

/** What a root qdisc does, in units both a request and `tc -j` can be brought to. */
export interface Shape {
  kind: 'tbf' | 'netem';
  /** Bytes per second, or 0 for none. */
  rateBps: number;
  delayUs: number;
  jitterUs: number;
  /** Percent. */
  lossPct: number;
}

export type NetObjects = Map<string, NetObject>;

export function keyOf(o: NetObject): string {
  switch (o.kind) {
    case 'netns': return `netns:${o.name}`;
    case 'bridge': return `bridge:${o.name}`;
    case 'vxlan': return `vxlan:${o.name}`;
    case 'fdb': return `fdb:${o.dev}:${o.dst}`;
    case 'veth': return `veth:${o.host}`;
    case 'route': return `route:${o.ns}:${o.to}`;
    case 'qdisc': return `qdisc:${o.ns ?? ''}:${o.dev}`;
  }
}

/** Two objects of one key are the same when every field matches (shapes within rounding). */
export function sameObject(a: NetObject, b: NetObject): boolean {
  if (a.kind === 'qdisc' && b.kind === 'qdisc') return sameShape(a.shape, b.shape);
  return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
}

function sameShape(a: Shape, b: Shape): boolean {
  const near = (x: number, y: number) => Math.abs(x - y) <= Math.max(1, Math.abs(y) * 0.01);
  return a.kind === b.kind && near(a.rateBps, b.rateBps) && near(a.delayUs, b.delayUs) && near(a.jitterUs, b.jitterUs) && near(a.lossPct, b.lossPct);
}

export function objectMap(objects: Iterable<NetObject>): NetObjects {
  const map: NetObjects = new Map();
  for (const o of objects) map.set(keyOf(o), o);
  return map;
}

/** The namespace an object lives in: guest/router objects belong to their namespace. */
export function namespaceOf(o: NetObject): string | null {
  switch (o.kind) {
    case 'netns': return o.name;
    case 'veth': case 'route': return o.ns;
    case 'qdisc': return o.ns;
    default: return null;
  }
}
