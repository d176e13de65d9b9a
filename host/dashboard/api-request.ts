/**
 * What the dashboard's JSON API shares: an error that carries its HTTP status, the reply a
 * route gives back for the server to write, and a request body read with a size limit.
 */
import type { IncomingMessage } from 'node:http';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export interface ApiReply {
  status: number;
  json: unknown;
  headers?: Record<string, string>;
}

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The body as JSON. Only `application/json` is taken: a page on another site can post a form
 * or plain text here without asking, but not JSON, for which the browser first asks this
 * server (a CORS preflight) and is never answered yes.
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, 'the body must be JSON (content-type: application/json)');
  if (Number(req.headers['content-length'] ?? 0) > limit) throw new ApiError(413, `the body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, `the body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new ApiError(400, `the body is not JSON: ${(err as Error).message}`);
  }
}
