/**
 * Which boards a board set names on a desk. A simulated desk's state folder lists its boards;
 * a real desk is known by what its boards said: their retained statuses, which also carry
 * their tags. So `tag:` sets and real desks both read the statuses first.
 */
import type { MqttClient } from 'mqtt';
import { allBoardsFilter, parseBoardTopic } from '../../broker/contract/topics.ts';
import { decode, decodeJson } from '../../broker/contract/messages.ts';
import { BoardVerdictSchema, isOutOfService, verdictFilter, type BoardVerdict } from '../../broker/contract/health.ts';
import { resolveBoardSet } from './board-set.ts';
import type { DeskAccess } from './access.ts';
import { connectToDesk, readRetained } from './connect.ts';

export interface DeskBoards {
  /** The desk's boards in desk order: the state folder's list, or the ids seen in statuses. */
  boards: string[];
  tags: Map<string, readonly string[]>;
}

/** Reads the retained statuses of `desk`; done once every known board answered or all went quiet. */
export async function readDeskBoards(access: DeskAccess, client: MqttClient, opts = { quietMs: 300, deadlineMs: 3000 }): Promise<DeskBoards> {
  const tags = new Map<string, readonly string[]>();
  const seen = new Set<string>();
  const onMessage = (topic: string, payload: Buffer) => {
    const parsed = parseBoardTopic(topic);
    if (parsed?.channel !== 'status' || parsed.desk !== access.desk) return;
    seen.add(parsed.board);
    const status = decode('status', payload);
    if (status.ok && status.value.state === 'online' && status.value.tags) tags.set(parsed.board, status.value.tags);
  };
  const everyKnown = () => access.boards.length > 0 && access.boards.every((b) => seen.has(b));
  await readRetained(client, allBoardsFilter(access.desk, 'status'), onMessage, { ...opts, until: everyKnown });
  const boards = access.boards.length > 0 ? access.boards : [...seen].sort(byNumber);
  return { boards, tags };
}

/** A board whose retained status says it is offline: why (its last will, or a clean shutdown) and since when, if it says. */
export interface OfflineBoard {
  board: string;
  reason: 'lastwill' | 'shutdown';
  at?: number;
}

/** Which of `boards` their retained statuses say are offline; done once each answered or all went quiet. */
export async function readOfflineBoards(access: DeskAccess, client: MqttClient, boards: readonly string[], opts = { quietMs: 300, deadlineMs: 3000 }): Promise<Map<string, OfflineBoard>> {
  const wanted = new Set(boards);
  const seen = new Set<string>();
  const offline = new Map<string, OfflineBoard>();
  const onMessage = (topic: string, payload: Buffer) => {
    const parsed = parseBoardTopic(topic);
    if (parsed?.channel !== 'status' || parsed.desk !== access.desk || !wanted.has(parsed.board)) return;
    seen.add(parsed.board);
    const status = decode('status', payload);
    if (status.ok && status.value.state === 'offline') offline.set(parsed.board, { board: parsed.board, reason: status.value.reason, ...(status.value.at !== undefined ? { at: status.value.at } : {}) });
    else offline.delete(parsed.board);
  };
  await readRetained(client, allBoardsFilter(access.desk, 'status'), onMessage, { ...opts, until: () => boards.every((b) => seen.has(b)) });
  return offline;
}

/** The desk's verdicts on its boards (host/health/), from their retained topics. */
export async function readVerdicts(access: DeskAccess, client: MqttClient, opts = { quietMs: 150, deadlineMs: 3000 }): Promise<Map<string, BoardVerdict>> {
  const verdicts = new Map<string, BoardVerdict>();
  const onMessage = (_topic: string, payload: Buffer) => {
    const d = decodeJson(BoardVerdictSchema, payload);
    if (d.ok) verdicts.set(d.value.board, d.value);
  };
  await readRetained(client, verdictFilter(access.desk), onMessage, opts);
  return verdicts;
}

/** The desk's boards out of service now, by board (one short connection). */
export async function outOfServiceBoards(access: DeskAccess): Promise<Map<string, BoardVerdict>> {
  const client = await connectToDesk(access, 'health');
  try {
    const verdicts = await readVerdicts(access, client);
    return new Map([...verdicts].filter(([, v]) => isOutOfService(v.state)));
  } finally {
    await client.endAsync();
  }
}

export interface BoardSelection {
  /** The boards `spec` names, in desk order. */
  boards: string[];
  /** Boards it would have named but the desk has taken out (quarantined, recovering, retired). */
  leftOut: BoardVerdict[];
}

/**
 * The boards `spec` names on the desk, in desk order (a `BoardSetError` says what is wrong),
 * without the boards the desk has taken out unless `includeQuarantined`.
 */
export async function resolveBoards(spec: string, access: DeskAccess, client: MqttClient, opts: { includeQuarantined?: boolean } = {}): Promise<BoardSelection> {
  const verdicts = opts.includeQuarantined ? new Map<string, BoardVerdict>() : await readVerdicts(access, client);
  const outVerdict = (b: string) => { const v = verdicts.get(b); return v && isOutOfService(v.state) ? v : undefined; };
  const simple = access.boards.length > 0 && (access.tags !== undefined || !spec.includes('tag:'));
  const desk = simple ? { boards: access.boards, tags: new Map(Object.entries(access.tags ?? {})) } : await readDeskBoards(access, client);
  if (desk.boards.length === 0) throw new Error(`no board of desk "${access.desk}" has published a status on ${access.url}`);
  const tagsOf = (b: string) => desk.tags.get(b) ?? [];
  const boards = resolveBoardSet(spec, desk.boards, tagsOf, (b) => outVerdict(b) !== undefined);
  const everything = resolveBoardSet(spec, desk.boards, tagsOf);
  const leftOut = everything.filter((b) => !boards.includes(b)).map((b) => outVerdict(b)!);
  return { boards, leftOut };
}

/** `b07 (quarantined: 2 failed self-checks in a row)`, for the line that names left-out boards. */
export const describeLeftOut = (leftOut: readonly BoardVerdict[]) => leftOut.map((v) => `${v.board} (${v.state}: ${v.reason})`).join(', ');

/** b2 before b10: ids compare by their text, then by their number. */
function byNumber(a: string, b: string): number {
  const [pa, na] = split(a);
  const [pb, nb] = split(b);
  return pa === pb && na !== undefined && nb !== undefined ? na - nb : a.localeCompare(b);
}

function split(id: string): [string, number | undefined] {
  const m = /^(.*?)(\d+)$/.exec(id);
  return m ? [m[1]!, Number(m[2])] : [id, undefined];
}
