/**
 * The push tree (docs/push.md): the host feeds the first `fanout` boards, and every board,
 * once it holds the verified file, feeds `fanout` more. A complete k-ary tree in desk order,
 * so the host's uplink carries the file `fanout` times and the depth grows as log_k(n).
 */
export interface PlannedBoard {
  board: string;
  /** The board it fetches from first; null: the host. */
  parent: string | null;
  /** 1 for the host's own children. */
  depth: number;
}

export class PlanError extends Error {
  constructor(detail: string) {
    super(`push plan: ${detail}`);
    this.name = 'PlanError';
  }
}

/** Every board once, parents before their children (breadth first). */
export function planTree(boards: readonly string[], fanout: number): PlannedBoard[] {
  if (!Number.isInteger(fanout) || fanout < 1) throw new PlanError(`fan-out must be a whole number of at least 1, not ${fanout}`);
  if (new Set(boards).size !== boards.length) throw new PlanError('a board is named twice');
  const planned: PlannedBoard[] = [];
  boards.forEach((board, i) => {
    // Board i's parent is the host for the first `fanout`, else board floor(i / fanout) - 1.
    const parent = i < fanout ? undefined : planned[Math.floor(i / fanout) - 1];
    planned.push({ board, parent: parent?.board ?? null, depth: parent ? parent.depth + 1 : 1 });
  });
  return planned;
}

/** The children of each board (and of the host, under null), in plan order. */
export function childrenOf(plan: readonly PlannedBoard[]): Map<string | null, PlannedBoard[]> {
  const children = new Map<string | null, PlannedBoard[]>();
  for (const p of plan) {
    const siblings = children.get(p.parent) ?? [];
    siblings.push(p);
    children.set(p.parent, siblings);
  }
  return children;
}
