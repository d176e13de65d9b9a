/**
 * Runs a push plan over MQTT: `push.fetch` goes to a board as soon as its parent has settled,
 * with the nearest two ancestors that hold the file as sources and the host last. A board
 * whose parent failed fetches from further up, or from the host. Then `push.done` to all.
 */
import type { CommandArgs, CommandReply } from '../../broker/contract/commands/index.ts';
import type { PushFetchResult, PushManifest } from '../../broker/contract/commands/push.ts';
import { childrenOf, type PlannedBoard } from './plan.ts';

/** The requests a push makes (host/client/request.ts); a result that breaks the contract rejects. */
export interface Requester {
  (board: string, op: 'push.fetch', args: CommandArgs<'push.fetch'>, timeoutMs?: number): Promise<CommandReply<'push.fetch'>>;
  (board: string, op: 'push.done', args: CommandArgs<'push.done'>, timeoutMs?: number): Promise<CommandReply<'push.done'>>;
}

/** Peers a board is told about, besides the host. */
const PEER_SOURCES = 2;
const DONE_TIMEOUT_MS = 10_000;

export type BoardOutcome = PlannedBoard & { sources: string[] } & (
  | { ok: true; result: PushFetchResult }
  | { ok: false; error: string }
);

export interface ExecuteOptions {
  plan: readonly PlannedBoard[];
  manifest: PushManifest;
  /** The destination on one board (`{board}` put in). */
  destFor(board: string): string;
  hostUrl: string;
  request: Requester;
  timeoutMs: number;
  onSettled?(outcome: BoardOutcome): void;
}

/** A reply as an outcome: an error reply, a timeout and a malformed result all become `error`. */
function outcomeOf(p: PlannedBoard, sources: string[], reply: CommandReply<'push.fetch'> | Error): BoardOutcome {
  if (reply instanceof Error) return { ...p, sources, ok: false, error: reply.message };
  if (!reply.ok) return { ...p, sources, ok: false, error: `${reply.error.code}: ${reply.error.message}` };
  return { ...p, sources, ok: true, result: reply.result };
}

export async function executePlan(opts: ExecuteOptions): Promise<BoardOutcome[]> {
  const children = childrenOf(opts.plan);
  const parentOf = new Map(opts.plan.map((p) => [p.board, p.parent]));
  const servingAt = new Map<string, string>();
  const outcomes: BoardOutcome[] = [];

  const sourcesFor = (p: PlannedBoard): string[] => {
    const peers: string[] = [];
    for (let a = p.parent; a !== null && peers.length < PEER_SOURCES; a = parentOf.get(a) ?? null) {
      const url = servingAt.get(a);
      if (url) peers.push(url);
    }
    return [...peers, opts.hostUrl];
  };

  const run = async (p: PlannedBoard): Promise<void> => {
    const sources = sourcesFor(p);
    const args = { manifest: opts.manifest, dest: opts.destFor(p.board), sources };
    const reply = await opts.request(p.board, 'push.fetch', args, opts.timeoutMs).catch((e: Error) => e);
    const outcome = outcomeOf(p, sources, reply);
    if (outcome.ok) servingAt.set(p.board, outcome.result.servingAt);
    outcomes.push(outcome);
    opts.onSettled?.(outcome);
    await Promise.all((children.get(p.board) ?? []).map(run));
  };
  await Promise.all((children.get(null) ?? []).map(run));
  const order = new Map(opts.plan.map((p, i) => [p.board, i]));
  return outcomes.sort((a, b) => order.get(a.board)! - order.get(b.board)!);
}

/** Stops every board serving the file; what each served to its peers, by board (absent: no answer). */
export async function finishPush(boards: readonly string[], id: string, request: Requester): Promise<Map<string, number>> {
  const served = new Map<string, number>();
  await Promise.all(boards.map(async (board) => {
    const reply = await request(board, 'push.done', { id }, DONE_TIMEOUT_MS).catch(() => undefined);
    if (reply?.ok) served.set(board, reply.result.servedBytes);
  }));
  return served;
}
