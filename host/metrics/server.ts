/** Serves a desk's metrics over plain HTTP at `/metrics`, for a Prometheus scrape job. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeskMetrics } from './desk-metrics.ts';

export class MetricsListenError extends Error {
  override readonly name = 'MetricsListenError';
  constructor(readonly host: string, readonly port: number, cause: unknown) {
    super(`metrics cannot listen on ${host}:${port}: ${(cause as Error).message}`, { cause });
  }
}

export interface MetricsServer {
  /** `http://<host>:<port>/metrics`, with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

export async function serveMetrics(metrics: Pick<DeskMetrics, 'contentType' | 'render'>, opts: { host: string; port: number }): Promise<MetricsServer> {
  const server = createServer((req, res) => void answer(metrics, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new MetricsListenError(opts.host, opts.port, err)));
    server.listen(opts.port, opts.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => {
      // Scrapers keep connections alive; they must not hold the process open.
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function answer(metrics: Pick<DeskMetrics, 'contentType' | 'render'>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'GET only\n');
  if (path === '/') return reply(res, 200, 'text/plain', 'deskbox metrics: see /metrics\n');
  if (path !== '/metrics') return reply(res, 404, 'text/plain', 'not found: try /metrics\n');
  try {
    reply(res, 200, metrics.contentType, await metrics.render());
  } catch (err) {
    reply(res, 500, 'text/plain', `rendering the metrics failed: ${(err as Error).message}\n`);
  }
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
