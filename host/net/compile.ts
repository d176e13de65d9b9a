/**
 * A topology -> each board's part (the net.apply arguments): VNIs, each carrying board's share
 * of every subnet (its pool), gateways, link properties and VXLAN peers. Every problem is found
 * before any board is touched: overlapping subnets, duplicate VNIs, routers with one interface
 * or addresses outside their networks, more guests than addresses, features a board lacks.
 */
import type { NetApplyArgs, NetLink, NetworkPart, RouterPart } from '../../broker/contract/commands/net.ts';
import { contains, ipToNumber, numberToIp, overlaps, parsePrefix, type Prefix, usable } from './ipv4.ts';
import { findCarriers, type DeskBoards } from './carriers.ts';
import type { LoadedTopology, Topology } from './topology.ts';

export interface BoardNet {
  lanAddress: string | null;
  features: Record<string, boolean>;
}

export interface Compiled {
  parts: Map<string, NetApplyArgs>;
  problems: string[];
}

export function compileTopology(loaded: LoadedTopology, desk: DeskBoards, boardNet: (board: string) => BoardNet | undefined): Compiled {
  const t = loaded.topology;
  const problems: string[] = [];
  const prefixes = new Map<string, Prefix>();
  for (const [name, n] of Object.entries(t.networks)) {
    const p = parsePrefix(n.subnet);
    if ('error' in p) problems.push(`networks.${name}.subnet: ${p.error}`);
    else prefixes.set(name, p);
  }
  const names = [...prefixes.keys()];
  names.forEach((a, i) => names.slice(i + 1).forEach((b) => {
    if (overlaps(prefixes.get(a)!, prefixes.get(b)!)) problems.push(`networks.${b}.subnet: ${t.networks[b]!.subnet} overlaps ${a}'s ${t.networks[a]!.subnet}`);
  }));
  const vnis = assignVnis(t, problems);
  problems.push(...routerProblems(t, prefixes));
  const { carriers, problems: carrierProblems } = findCarriers(t, desk);
  problems.push(...carrierProblems);

  const lacking = new Map<string, string[]>();
  const parts = new Map<string, NetApplyArgs>(desk.boards.map((b) => [b, { topology: { name: t.name, sha256: loaded.sha256 }, networks: [], routers: [] }]));
  for (const [name, byBoard] of carriers) {
    const prefix = prefixes.get(name);
    if (!prefix || byBoard.size === 0) continue;
    const reserved = Object.values(t.routers).flatMap((r) => (r.interfaces[name] ? [ipToNumber(r.interfaces[name]!)] : []));
    const pools = splitPools(prefix, reserved, byBoard.size);
    const gateway = Object.values(t.routers).find((r) => r.interfaces[name])?.interfaces[name];
    [...byBoard].forEach(([board, c], i) => {
      const pool = pools[i]!;
      const wanted = Math.max(c.count, ...[...c.indexes].map((x) => x + 1));
      if (wanted > pool.size) problems.push(`attach: ${name} (${t.networks[name]!.subnet}) gives each of its ${byBoard.size} boards ${pool.size} addresses; ${board} needs ${wanted} (guest indexes up to ${wanted - 1}): a larger subnet, or fewer guests`);
      const net = boardNet(board);
      if (!net?.lanAddress) problems.push(`${board}: no desk-LAN address to carry ${name} over (the board has no guest networks configured)`);
      const link = linkOf(c.link ?? t.networks[name]!.link);
      for (const feature of neededFeatures(link)) {
        const key = `${name}: needs ${feature} (${feature === 'netem' ? 'delay, jitter or loss' : 'rate'}), which the kernel lacks on`;
        if (net && net.features[feature] !== true) lacking.set(key, [...(lacking.get(key) ?? []), board]);
      }
      const part: NetworkPart = {
        name, vni: vnis.get(name)!, subnet: t.networks[name]!.subnet,
        pool: { first: numberToIp(pool.first), size: pool.size },
        attachCount: c.count, attach: [...c.indexes].sort((a, b) => a - b),
        ...(gateway && { gateway }), link,
        peers: [...byBoard.keys()].filter((b) => b !== board).flatMap((b) => { const lan = boardNet(b)?.lanAddress; return lan ? [lan] : []; }),
      };
      parts.get(board)!.networks.push(part);
    });
  }
  for (const [what, boards] of lacking) problems.push(`${what} ${boards.join(', ')}`);
  for (const [name, r] of Object.entries(t.routers)) {
    const router: RouterPart = { name, interfaces: Object.entries(r.interfaces).map(([network, address]) => ({ network, address })), routes: r.routes };
    parts.get(r.board)?.routers.push(router);
  }
  return { parts, problems };
}

function assignVnis(t: Topology, problems: string[]): Map<string, number> {
  const vnis = new Map<string, number>();
  const taken = new Map<number, string>();
  for (const [name, n] of Object.entries(t.networks)) if (n.vni !== undefined) {
    if (taken.has(n.vni)) problems.push(`networks.${name}.vni: ${n.vni} is ${taken.get(n.vni)}'s too`);
    taken.set(n.vni, name);
    vnis.set(name, n.vni);
  }
  let next = 1000;
  for (const name of Object.keys(t.networks)) {
    if (vnis.has(name)) continue;
    while (taken.has(next)) next++;
    taken.set(next, name);
    vnis.set(name, next);
  }
  return vnis;
}

function routerProblems(t: Topology, prefixes: Map<string, Prefix>): string[] {
  const problems: string[] = [];
  const used = new Map<string, string>();
  for (const [name, r] of Object.entries(t.routers)) {
    const ifaces = Object.entries(r.interfaces);
    if (ifaces.length < 2) problems.push(`routers.${name}.interfaces: a router needs interfaces on at least two networks (it has ${ifaces.length})`);
    for (const [network, address] of ifaces) {
      const p = prefixes.get(network);
      if (used.has(address)) problems.push(`routers.${name}.interfaces.${network}: ${address} is also ${used.get(address)}`);
      used.set(address, `${name}'s on ${network}`);
      if (!p) continue;
      const { first, last } = usable(p);
      const n = ipToNumber(address);
      if (n < first || n > last) problems.push(`routers.${name}.interfaces.${network}: ${address} is not a host address of ${t.networks[network]!.subnet}`);
    }
    r.routes.forEach((route, i) => {
      const via = ipToNumber(route.via);
      if (!Object.keys(r.interfaces).some((net) => prefixes.has(net) && contains(prefixes.get(net)!, via))) problems.push(`routers.${name}.routes[${i}].via: ${route.via} is on none of ${name}'s networks`);
    });
  }
  return problems;
}

/** The usable addresses left when routers have theirs, as `n` equal runs (the largest free run, split). */
function splitPools(p: Prefix, reserved: number[], n: number): Array<{ first: number; size: number }> {
  const { first, last } = usable(p);
  const cuts = [first - 1, ...reserved.filter((x) => x >= first && x <= last).sort((a, b) => a - b), last + 1];
  let best = { first, size: 0 };
  for (let i = 0; i + 1 < cuts.length; i++) {
    const size = cuts[i + 1]! - cuts[i]! - 1;
    if (size > best.size) best = { first: cuts[i]! + 1, size };
  }
  const each = Math.floor(best.size / n);
  return Array.from({ length: n }, (_, i) => ({ first: best.first + i * each, size: each }));
}

function linkOf(l: Topology['networks'][string]['link']): NetLink {
  return { ...(l?.rate && { rate: l.rate }), ...(l?.delay !== undefined && { delayMs: l.delay }), ...(l?.jitter !== undefined && { jitterMs: l.jitter }), ...(l?.loss !== undefined && { lossPct: l.loss }) };
}

function neededFeatures(l: NetLink): Array<'tbf' | 'netem'> {
  return [...(l.rate ? ['tbf' as const] : []), ...(l.delayMs !== undefined || l.jitterMs !== undefined || l.lossPct !== undefined ? ['netem' as const] : [])];
}
