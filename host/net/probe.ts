/**
 * Reachability and round-trip times inside each network: every member guest pings up to `peers`
 * other members of its network (those on other boards first, so VXLAN is what gets measured),
 * and the answers fold into one row per network: pairs reachable, loss, RTT percentiles.
 */
import type { CommandResult } from '../../broker/contract/commands/index.ts';
import type { Requester } from '../client/request.ts';
import { summarize, type Stats } from '../analysis/percentiles.ts';
import type { BoardAnswer, NetListing } from './desk-net.ts';

export interface NetworkReach {
  network: string;
  /** (guest, address) pairs asked, and those that answered at least once. */
  pairs: number;
  reachable: number;
  sent: number;
  received: number;
  rttMs: Stats | null;
  /** Pairs that never answered, for finding what is broken. */
  unreachable: Array<{ from: string; to: string }>;
}

/** What a run's net-probe.json holds: one probe per repetition. */
export interface NetProbeRecord {
  topology: string;
  probes: Array<{ repetition: number; at: number; networks: NetworkReach[]; errors: string[] }>;
}

export interface ProbeOptions {
  count: number;
  timeoutMs: number;
  /** Addresses each member pings, at most. */
  peers: number;
}

/** Per board: the addresses its members ping, per network. */
export function probeTargets(list: NetListing, peers: number): Map<string, Record<string, string[]>> {
  const targets = new Map<string, Record<string, string[]>>();
  for (const n of list.networks) {
    for (const board of new Set(n.members.map((m) => m.board))) {
      const others = n.members.filter((m) => m.board !== board).map((m) => m.address);
      const mine = n.members.filter((m) => m.board === board).map((m) => m.address);
      // Members of its own board are pinged too (by each other), after the far ones.
      const chosen = [...others, ...mine].slice(0, Math.max(peers, 1) + 1);
      (targets.get(board) ?? targets.set(board, {}).get(board)!)[n.name] = chosen;
    }
  }
  return targets;
}

export async function probeNetworks(request: Requester, list: NetListing, o: ProbeOptions): Promise<{ networks: NetworkReach[]; errors: string[] }> {
  const own = new Map(list.networks.flatMap((n) => n.members.map((m) => [`${n.name}/${m.guest}`, m.address] as const)));
  const targets = probeTargets(list, o.peers);
  // Each board pings its targets one after another: give it time for all of them.
  const answers = await Promise.all([...targets].map(async ([board, byNetwork]): Promise<BoardAnswer<CommandResult<'net.probe'>>> => {
    const members = list.networks.reduce((s, n) => s + n.members.filter((m) => m.board === board).length * (byNetwork[n.name]?.length ?? 0), 0);
    try {
      const reply = await request(board, 'net.probe', { count: o.count, timeoutMs: o.timeoutMs, targets: byNetwork }, 30_000 + members * o.count * o.timeoutMs);
      return reply.ok ? { board, ok: true, result: reply.result } : { board, ok: false, error: `${reply.error.code}: ${reply.error.message}` };
    } catch (e) {
      return { board, ok: false, error: (e as Error).message };
    }
  }));
  const byNetwork = new Map(list.networks.map((n) => [n.name, { network: n.name, pairs: 0, reachable: 0, sent: 0, received: 0, rtts: [] as number[], unreachable: [] as Array<{ from: string; to: string }> }]));
  for (const a of answers) {
    if (!a.ok) continue;
    for (const r of a.result.results) {
      const acc = byNetwork.get(r.network);
      if (!acc || own.get(`${r.network}/${r.from}`) === r.to) continue;
      acc.pairs++;
      acc.sent += r.sent;
      acc.received += r.received;
      acc.rtts.push(...r.rttMs);
      if (r.received > 0) acc.reachable++;
      else acc.unreachable.push({ from: r.from, to: r.to });
    }
  }
  return {
    networks: [...byNetwork.values()].map(({ rtts, ...rest }) => ({ ...rest, rttMs: summarize(rtts) })),
    errors: answers.flatMap((a) => (a.ok ? [] : [`${a.board}: ${a.error}`])),
  };
}
