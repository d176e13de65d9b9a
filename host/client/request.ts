/**
 * Request/reply over MQTT 3.1.1: the correlation id travels in the payload. One reply
 * subscription serves any number of concurrent requests.
 */
import type { MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { allBoardsFilter, boardTopic } from '../../broker/contract/topics.ts';
import { decode, encode } from '../../broker/contract/messages.ts';
import { PAYLOAD_VERSION, type Reply } from '../../broker/contract/payloads.ts';

export class RequestTimeoutError extends Error {
  constructor(readonly board: string, readonly op: string, readonly waitedMs: number) {
    super(`${board} did not answer ${op} within ${waitedMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export interface RequesterOptions {
  /** One subscription to every board's reply topic: for requests to hundreds of boards at once. */
  allBoards?: boolean;
}

export function createRequester(client: MqttClient, desk: string, opts: RequesterOptions = {}) {
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
  return async function request(board: string, op: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<Reply> {
    await subscribe(board);
    const id = randomUUID();
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => { waiting.delete(id); reject(new RequestTimeoutError(board, op, timeoutMs)); }, timeoutMs);
      waiting.set(id, (r) => { clearTimeout(timer); waiting.delete(id); resolve(r); });
    });
    await client.publishAsync(boardTopic(desk, board, 'cmd'), encode('cmd', { v: PAYLOAD_VERSION, id, op, ...(args ? { args } : {}), deadline: Math.round(Date.now() + timeoutMs) }), { qos: 1 });
    return reply;
  };
}
