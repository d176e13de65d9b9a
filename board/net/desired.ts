/**
 * The desired state (pure): a board's part of a topology (net.apply's arguments) and its
 * guests -> the kernel objects that should exist. A guest is on a network when its index is
 * below the network's attachCount, listed in its attach, or it was started with that network; its interfaces are
 * eth0, eth1... in that order (the networks it was started with first, then the attached ones
 * in the part's order), its address on each the pool's first address plus its index.
 *
 * VXLAN: learning stays on, with one static all-zero fdb entry per peer (head-end
 * replication of broadcast and unknown unicast, no multicast). With `nolearning` and only
 * those entries every unicast frame would go to every peer, or the desk would have to learn
 * and push every guest MAC; with learning the device learns which peer has which MAC from the
 * first reply and sends unicast to that one only, while the flood list stays what the desk pushed.
 */
import type { NetApplyArgs, NetworkPart } from '../../broker/contract/commands/net.ts';
import { canonicalCidr, inSubnet, poolAddress, prefixLength } from './addresses.ts';
import { objectMap, type NetObject, type NetObjects } from './model.ts';
import { bridgeName, guestIfname, guestNetns, guestVethName, routerNetns, routerVethName, vxlanName } from './naming.ts';
import { shapeOf } from './shaping.ts';

export interface BoardGuest {
  id: string;
  index: number;
  /** The networks it was started with (guests.start). */
  networks?: readonly string[];
}

export interface Member { guest: string; network: string; address: string; iface: string; ns: string }

export interface DesiredState {
  objects: NetObjects;
  members: Member[];
  /** Guests that cannot be on a network they should be on, with why; they get none of their networks. */
  refused: Map<string, string>;
}

/** A part this board cannot carry at all (it is refused before anything changes). */
export class PartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartError';
  }
}

/** Guest `g`'s networks in interface order. */
export function networksOf(g: BoardGuest, parts: readonly NetworkPart[]): NetworkPart[] {
  const byName = new Map(parts.map((n) => [n.name, n]));
  const names = [...(g.networks ?? []), ...parts.filter((n) => g.index < n.attachCount || n.attach.includes(g.index)).map((n) => n.name)];
  return [...new Set(names)].flatMap((n) => (byName.has(n) ? [byName.get(n)!] : []));
}

export function checkPart(args: NetApplyArgs, lanAddress: string | null): void {
  const seen = new Map<string, string>();
  for (const n of args.networks) {
    for (const [what, v] of [['name', n.name], ['vni', String(n.vni)]] as const) {
      if (seen.has(`${what}:${v}`)) throw new PartError(`network ${n.name}: ${what} ${v} is used twice`);
      seen.set(`${what}:${v}`, n.name);
    }
    if (n.attachCount > n.pool.size) throw new PartError(`network ${n.name}: attachCount ${n.attachCount} is more than its pool of ${n.pool.size}`);
    const beyond = n.attach.find((i) => i >= n.pool.size);
    if (beyond !== undefined) throw new PartError(`network ${n.name}: guest ${beyond} is beyond its pool of ${n.pool.size}`);
    if (n.pool.size > 0 && !inSubnet(n.pool.first, n.subnet)) throw new PartError(`network ${n.name}: pool ${n.pool.first} is outside ${n.subnet}`);
    if (n.gateway && !inSubnet(n.gateway, n.subnet)) throw new PartError(`network ${n.name}: gateway ${n.gateway} is outside ${n.subnet}`);
    if (n.peers.length > 0 && !lanAddress) throw new PartError(`network ${n.name} has peers but this board has no desk-LAN address (net.lanAddress)`);
  }
  const hashes = new Map<string, string>();
  for (const r of args.routers) {
    if (hashes.has(routerVethName(r.name, 1))) throw new PartError(`routers ${hashes.get(routerVethName(r.name, 1))} and ${r.name}: their interface names collide; rename one`);
    hashes.set(routerVethName(r.name, 1), r.name);
    for (const i of r.interfaces) {
      const n = args.networks.find((x) => x.name === i.network);
      if (!n) throw new PartError(`router ${r.name}: network ${i.network} is not in this board's part`);
      if (!inSubnet(i.address, n.subnet)) throw new PartError(`router ${r.name}: ${i.address} is outside ${n.name}'s ${n.subnet}`);
    }
  }
}

export function desiredState(prefix: string, lanAddress: string | null, args: NetApplyArgs, guests: readonly BoardGuest[]): DesiredState {
  checkPart(args, lanAddress);
  const objects: NetObject[] = [];
  const members: Member[] = [];
  const refused = new Map<string, string>();
  const shapes = new Map(args.networks.map((n) => [n.name, shapeOf(n.link)]));
  for (const n of args.networks) {
    const bridge = bridgeName(n.vni);
    objects.push({ kind: 'bridge', name: bridge });
    if (n.peers.length === 0) continue;
    const vx = vxlanName(n.vni);
    objects.push({ kind: 'vxlan', name: vx, vni: n.vni, local: lanAddress!, bridge });
    for (const dst of new Set(n.peers)) objects.push({ kind: 'fdb', dev: vx, dst });
  }
  for (const g of [...guests].sort((a, b) => a.index - b.index)) {
    const nets = networksOf(g, args.networks);
    if (nets.length === 0) continue;
    const short = nets.find((n) => poolAddress(n.pool, g.index) === undefined);
    if (short) {
      refused.set(g.id, `guest ${g.id} (index ${g.index}) has no address on ${short.name}: its pool on this board holds ${short.pool.size} (indexes 0..${short.pool.size - 1})`);
      continue;
    }
    const ns = guestNetns(prefix, g.id);
    objects.push({ kind: 'netns', name: ns, forward: false });
    let route = false;
    nets.forEach((n, position) => {
      const address = poolAddress(n.pool, g.index)!;
      const inner = guestIfname(position);
      const host = guestVethName(g.index, n.vni);
      objects.push({ kind: 'veth', host, bridge: bridgeName(n.vni), ns, inner, address: `${address}/${prefixLength(n.subnet)}` });
      members.push({ guest: g.id, network: n.name, address, iface: inner, ns });
      const shape = shapes.get(n.name);
      if (shape) objects.push({ kind: 'qdisc', ns: null, dev: host, shape }, { kind: 'qdisc', ns, dev: inner, shape });
      if (!route && n.gateway && n.gateway !== address) {
        route = true;
        objects.push({ kind: 'route', ns, to: 'default', via: n.gateway });
      }
    });
  }
  for (const r of args.routers) {
    const ns = routerNetns(prefix, r.name);
    objects.push({ kind: 'netns', name: ns, forward: true });
    for (const i of r.interfaces) {
      const n = args.networks.find((x) => x.name === i.network)!;
      objects.push({ kind: 'veth', host: routerVethName(r.name, n.vni), bridge: bridgeName(n.vni), ns, inner: n.name, address: `${i.address}/${prefixLength(n.subnet)}` });
    }
    for (const rt of r.routes) objects.push({ kind: 'route', ns, to: canonicalCidr(rt.to), via: rt.via });
  }
  return { objects: objectMap(objects), members, refused };
}
