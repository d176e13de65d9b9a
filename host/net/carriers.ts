/**
 * Who carries each network of a topology, and with which guests: the boards its attachments and
 * routers name, each with the guest indexes attached by count or by id. Unknown boards and
 * networks are problems naming their field; nothing here needs the boards to answer.
 */
import { BoardSetError, resolveBoardSet } from '../client/board-set.ts';
import { parseGuestId, type Topology, TopologyLinkSchema } from './topology.ts';
import type * as v from 'valibot';

type Link = v.InferOutput<typeof TopologyLinkSchema>;

export interface Carrier {
  /** Guests 0..count-1 of the board. */
  count: number;
  /** More guests by index. */
  indexes: Set<number>;
  /** The attachment's link properties, over the network's. */
  link?: Link;
}

export interface DeskBoards {
  boards: readonly string[];
  tagsOf(board: string): readonly string[];
}

/** network -> board -> what the board carries of it, in desk order. */
export type Carriers = Map<string, Map<string, Carrier>>;

export function findCarriers(t: Topology, desk: DeskBoards): { carriers: Carriers; problems: string[] } {
  const problems: string[] = [];
  const carriers: Carriers = new Map(Object.keys(t.networks).map((n) => [n, new Map()]));
  const carry = (network: string, board: string) => {
    const byBoard = carriers.get(network)!;
    return byBoard.get(board) ?? byBoard.set(board, { count: 0, indexes: new Set() }).get(board)!;
  };
  t.attach.forEach((a, i) => {
    const where = `attach[${i}]`;
    if (!carriers.has(a.network)) return void problems.push(`${where}.network: no network "${a.network}" (networks: ${Object.keys(t.networks).join(', ')})`);
    if (a.boards === undefined && !a.guests) return void problems.push(`${where}: say which guests: boards: (with count:) or guests: [ids]`);
    let boards: string[] = [];
    try {
      boards = a.boards === undefined ? [] : resolveBoardSet(a.boards, desk.boards, desk.tagsOf);
    } catch (e) {
      problems.push(`${where}.boards: ${e instanceof BoardSetError ? e.message : String(e)}`);
    }
    for (const b of boards) {
      const c = carry(a.network, b);
      c.count = Math.max(c.count, a.count);
      if (a.link) c.link = a.link;
    }
    for (const id of a.guests ?? []) {
      const g = parseGuestId(id);
      if (!desk.boards.includes(g.board)) { problems.push(`${where}.guests: ${id} is on ${g.board}, which the desk does not have`); continue; }
      const c = carry(a.network, g.board);
      c.indexes.add(g.index);
      if (a.link) c.link = a.link;
    }
  });
  for (const [name, r] of Object.entries(t.routers)) {
    if (!desk.boards.includes(r.board)) problems.push(`routers.${name}.board: the desk has no board "${r.board}"`);
    for (const network of Object.keys(r.interfaces)) {
      if (!carriers.has(network)) problems.push(`routers.${name}.interfaces.${network}: no such network (networks: ${Object.keys(t.networks).join(', ')})`);
      else if (desk.boards.includes(r.board)) carry(network, r.board);
    }
  }
  // Desk order, so pools and peers come out the same whoever lists the boards how.
  for (const [n, byBoard] of carriers) carriers.set(n, new Map([...byBoard].sort(([a], [b]) => desk.boards.indexOf(a) - desk.boards.indexOf(b))));
  return { carriers, problems };
}
