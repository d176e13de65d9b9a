/**
 * Request/reply over MQTT 3.1.1: the correlation id travels in the payload. One reply
 * subscription serves any number of concurrent requests. Requests are typed by the command
 * catalogue (broker/contract/commands): the op names the arguments it takes and the result
 * its reply carries, which is checked here, at the edge, before a caller sees it.
 */
import type { MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { allBoardsFilter, boardTopic } from '../../broker/contract/topics.ts';
import { decode, encode } from '../../broker/contract/messages.ts';
import { PAYLOAD_VERSION, type Reply } from '../../broker/contract/payloads.ts';
import { decodeResult, type CommandArgs, type CommandOp, type CommandReply } from '../../broker/contract/commands/index.ts';

export class RequestTimeoutError extends Error {
  constructor(readonly board: string, readonly op: string, readonly waitedMs: number) {
    super(`${board} did not answer ${op} within ${waitedMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** A board answered `ok` with a result its op's schema refuses (an old agent, a garbled reply). */
export class ResultError extends Error {
  constructor(readonly board: string, readonly op: string, readonly reason: string) {
    super(`unexpected ${op} result: ${reason}`);
    this.name = 'ResultError';
  }
}

export interface RequesterOptions {
  /** One subscription to every board's reply topic: for requests to hundreds of boards at once. */
  allBoards?: boolean;
}

export interface Requester {
  /**
   * Resolves with the board's answer, its result typed and checked against the catalogue
   * (an error reply resolves too, with its code); rejects with a RequestTimeoutError when no
   * reply came in `timeoutMs`, with a ResultError when the result breaks the contract.
   */
  <Op extends CommandOp>(board: string, op: Op, args?: CommandArgs<Op>, timeoutMs?: number): Promise<CommandReply<Op>>;
  /** Any op, any arguments, the reply as it came: for probing how boards take what the catalogue would refuse. */
  raw(board: string, op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<Reply>;
}

export function createRequester(client: MqttClient, desk: string, opts: RequesterOptions = {}): Requester {
  const waiting = new Map<string, (r: Reply) => void>();
  const subscribed = new Set<string>();
  let everyBoard: Promise<unknown> | undefined;
  const subscribe = async (board: string) => {
    if (opts.allBoards) return (everyBoard ??= client.subscribeAsync(allBoardsFilter(desk, 'reply'), { qos: 1 }));
    const replyTopic = boardTopic(desk, board, 'reply');
    if (subscribed.has(replyTopic)) return;
    await client.subscribeAsync(replyTopic, { qos: 1 });
    subscribed.add(replyTopic);
  };
  client.on('message', (topic, payload) => {
    if (!topic.endsWith('/reply')) return;
    const d = decode('reply', payload);
    if (!d.ok || d.value.id === null) return;
    waiting.get(d.value.id)?.(d.value);
  });
  const raw = async (board: string, op: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<Reply> => {
    await subscribe(board);
    const id = randomUUID();
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => { waiting.delete(id); reject(new RequestTimeoutError(board, op, timeoutMs)); }, timeoutMs);
      waiting.set(id, (r) => { clearTimeout(timer); waiting.delete(id); resolve(r); });
    });
    await client.publishAsync(boardTopic(desk, board, 'cmd'), encode('cmd', { v: PAYLOAD_VERSION, id, op, ...(args ? { args } : {}), deadline: Math.round(Date.now() + timeoutMs) }), { qos: 1 });
    return reply;
  };
  const request = async <Op extends CommandOp>(board: string, op: Op, args?: CommandArgs<Op>, timeoutMs?: number): Promise<CommandReply<Op>> => {
    const reply = await raw(board, op, args, timeoutMs);
    if (!reply.ok) return { ok: false, error: reply.error };
    const result = decodeResult(op, reply.result);
    if (!result.ok) throw new ResultError(board, op, result.reason);
    return { ok: true, result: result.value };
  };
  return Object.assign(request, { raw });
}
