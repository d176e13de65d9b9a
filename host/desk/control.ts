/**
 * The desk supervisor's control channel: JSON over HTTP on a unix socket in the state folder.
 * Only processes that can reach the folder can use it; nothing listens on the network.
 */
import { createServer, request, type Server } from 'node:http';
import { rm } from 'node:fs/promises';

export interface ControlHandlers {
  status(): unknown;
  power(board: string, action: string): Promise<unknown>;
  /** The board's serial link: noise, cable or USB adapter unplugged or not; answers the settings now in force. */
  link(board: string, changes: Record<string, unknown>): Promise<unknown>;
}

export class ControlError extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
    this.name = 'ControlError';
  }
}

async function readBody(req: NodeJS.ReadableStream): Promise<Record<string, unknown>> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 64 * 1024) throw new ControlError('request too large');
  }
  if (!body) return {};
  const parsed: unknown = JSON.parse(body);
  if (!parsed || typeof parsed !== 'object') throw new ControlError('body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export async function startControlServer(socketPath: string, handlers: ControlHandlers): Promise<Server> {
  await rm(socketPath, { force: true });
  const server = createServer((req, res) => {
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    (async () => {
      if (req.method === 'GET' && req.url === '/status') return reply(200, handlers.status());
      if (req.method === 'POST' && req.url === '/power') {
        const body = await readBody(req);
        if (typeof body.board !== 'string' || typeof body.action !== 'string') throw new ControlError('power needs board and action');
        return reply(200, await handlers.power(body.board, body.action));
      }
      if (req.method === 'POST' && req.url === '/link') {
        const { board, ...changes } = await readBody(req);
        if (typeof board !== 'string') throw new ControlError('link needs board');
        return reply(200, await handlers.link(board, changes));
      }
      throw new ControlError(`no such control endpoint ${req.method} ${req.url}`, 404);
    })().catch((err: Error) => reply(err instanceof ControlError ? err.status : 500, { error: err.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return server;
}

export function controlRequest<T>(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => {
        try {
          const json = JSON.parse(data) as T & { error?: string };
          if ((res.statusCode ?? 500) >= 400) reject(new ControlError(json.error ?? `HTTP ${res.statusCode}`, res.statusCode));
          else resolve(json);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? new ControlError('the desk supervisor is not running (deskbox desk up starts it)', 503) : err);
    });
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
