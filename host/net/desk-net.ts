/**
 * A desk's guest networks as the host drives them: read every board's state (net.ls), apply a
 * topology (compiled and checked first: nothing changes on any board when a problem is found),
 * take it all down, list members, and probe reachability between them.
 */
import type { CommandResult } from '../../broker/contract/commands/index.ts';
import type { Requester } from '../client/request.ts';
import { compileTopology } from './compile.ts';
import type { DeskBoards } from './carriers.ts';
import { TopologyError, type LoadedTopology } from './topology.ts';

export type NetState = CommandResult<'net.ls'>;
export type BoardAnswer<T> = { board: string; ok: true; result: T } | { board: string; ok: false; error: string };

const LS_TIMEOUT_MS = 10_000;
/** A board with hundreds of guests sets up their interfaces one by one. */
const APPLY_TIMEOUT_MS = 300_000;

async function each<T>(boards: readonly string[], ask: (board: string) => Promise<{ ok: true; result: T } | { ok: false; error: { code: string; message: string } }>): Promise<BoardAnswer<T>[]> {
  return Promise.all(boards.map(async (board): Promise<BoardAnswer<T>> => {
    try {
      const reply = await ask(board);
      return reply.ok ? { board, ok: true, result: reply.result } : { board, ok: false, error: `${reply.error.code}: ${reply.error.message}` };
    } catch (e) {
      return { board, ok: false, error: (e as Error).message };
    }
  }));
}

export const readNetStates = (request: Requester, boards: readonly string[]) => each(boards, (b) => request(b, 'net.ls', {}, LS_TIMEOUT_MS));

/** Checks the topology against the desk's boards as they are now, then gives each board its part. */
export async function applyTopology(request: Requester, desk: DeskBoards, loaded: LoadedTopology): Promise<Array<BoardAnswer<CommandResult<'net.apply'>>>> {
  const states = new Map((await readNetStates(request, desk.boards)).map((a) => [a.board, a]));
  const compiled = compileTopology(loaded, desk, (b) => {
    const s = states.get(b);
    return s?.ok ? { lanAddress: s.result.lanAddress, features: s.result.features } : undefined;
  });
  const silent = [...compiled.parts].filter(([b, part]) => part.networks.length + part.routers.length > 0 && !states.get(b)?.ok);
  const problems = [...compiled.problems, ...silent.map(([b]) => `${b}: carries part of the topology but did not answer net.ls (${(states.get(b) as { error?: string } | undefined)?.error ?? 'no answer'})`)];
  if (problems.length > 0) throw new TopologyError(loaded.file, [...new Set(problems)]);
  // Boards without guest networks that carry nothing are left alone; the others get their part, empty or not.
  const targets = [...compiled.parts.keys()].filter((b) => states.get(b)?.ok);
  return each(targets, (b) => request(b, 'net.apply', compiled.parts.get(b)!, APPLY_TIMEOUT_MS));
}

export async function takeDown(request: Requester, boards: readonly string[]): Promise<Array<BoardAnswer<CommandResult<'net.down'>>>> {
  const states = await readNetStates(request, boards);
  return each(states.filter((s) => s.ok).map((s) => s.board), (b) => request(b, 'net.down', {}, APPLY_TIMEOUT_MS));
}

/** `net ls --json`'s shape: networks with their members across the desk. */
export interface NetListing {
  networks: Array<{ name: string; subnet: string; vni: number; members: Array<{ board: string; guest: string; address: string }> }>;
  routers: Array<{ board: string; name: string; interfaces: Array<{ network: string; address: string }> }>;
}

export function listing(states: BoardAnswer<NetState>[]): NetListing {
  const networks = new Map<string, NetListing['networks'][number]>();
  const routers: NetListing['routers'] = [];
  for (const s of states) {
    if (!s.ok) continue;
    for (const n of s.result.networks) if (!networks.has(n.name)) networks.set(n.name, { name: n.name, subnet: n.subnet, vni: n.vni, members: [] });
    for (const m of s.result.members) networks.get(m.network)?.members.push({ board: s.board, guest: m.guest, address: m.address });
    for (const r of s.result.routers) routers.push({ board: s.board, name: r.name, interfaces: r.interfaces });
  }
  return { networks: [...networks.values()].sort((a, b) => a.name.localeCompare(b.name)), routers };
}
