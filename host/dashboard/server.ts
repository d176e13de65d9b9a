/**
 * The dashboard's HTTP(S) server: the page, its modules, mqtt.js for the browser, the desk the
 * page should watch and its topics (`/config.json`) and, when given, Prometheus metrics and the flash API. It
 * holds no broker credentials: the page logs in to the broker itself, and the broker decides
 * what it may do; the flash API checks the page's user against the broker's users file.
 * Over HTTPS (with the desk's certificate) when the desk's broker is TLS-only: the page must
 * then open wss://, and browsers allow that only from a page served over HTTPS.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../platform/log.ts';
import { reachableHost, urlHost } from '../locations/broker-urls.ts';
import { loadAssets, type Asset } from './assets.ts';
import { pageConfig, type PageBroker } from './page-config.ts';
import type { ApiReply } from './api-request.ts';
import { FLASH_PATH, type FlashApi } from './flash-api.ts';
import { createAccountApi } from './account-api.ts';
import type { DashboardUsers } from './basic-auth.ts';

export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

export interface DashboardOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  desk: string;
  /** Where the page finds the broker's WebSocket (page-config.ts). */
  broker: PageBroker;
  /** Serve over HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Boards the desk is known to have: shown before they first report. */
  boards?: string[];
  /** The `deskbox flash` command line for this desk, without `--board`; the page appends the selection. */
  flashCommand?: string;
  metrics?: MetricsSource;
  /** Reflash from the page (a simulated desk only); the server closes it when it closes. */
  flash?: FlashApi;
  /** The broker's users, for `/api/me` and `/api/console/<board>` (account-api.ts); without them those are 404. */
  users?: DashboardUsers;
  /** A board's console log file (a simulated desk's), for `/api/console/<board>`. */
  consoleLog?: (board: string) => string | undefined;
  /** Tags of the boards (from the desk file), for the page's filter before the boards say them. */
  tags?: Record<string, string[]>;
  logger: Logger;
}

export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

export class DashboardListenError extends Error {
  override readonly name = 'DashboardListenError';
  constructor(host: string, port: number, cause: unknown) {
    super(`the dashboard cannot listen on ${host}:${port}: ${(cause as Error).message}`, { cause });
  }
}

// The page only ever talks to this server and to the broker's WebSocket; mqtt.js runs its
// keepalive timer in a blob: worker, which browsers do not throttle in a background tab.
const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; worker-src blob:; img-src 'self' data:; frame-ancestors 'none'",
};

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const { logger } = opts;
  const assets = await loadAssets();
  const desk = {
    desk: opts.desk, boards: opts.boards ?? [], tags: opts.tags ?? {}, flashCommand: opts.flashCommand ?? null, flash: opts.flash !== undefined,
    account: opts.users !== undefined, consoles: opts.users !== undefined && opts.consoleLog !== undefined,
  };
  const account = opts.users && createAccountApi({ users: opts.users, flash: opts.flash !== undefined, ...(opts.consoleLog ? { consoleLog: opts.consoleLog } : {}) });
  const secure = opts.tls !== undefined;

  const send = (req: IncomingMessage, res: ServerResponse, status: number, asset: Asset, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...HEADERS, ...headers, 'content-type': asset.type, 'content-length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };
  const text = (body: string, type = 'text/plain; charset=utf-8'): Asset => ({ type, body: Buffer.from(body) });
  const reply = (req: IncomingMessage, res: ServerResponse, r: ApiReply) => send(req, res, r.status, text(JSON.stringify(r.json), 'application/json'), r.headers);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    if (account?.owns(path)) {
      void account.handle(req, path, query).then((r) => reply(req, res, r));
      return;
    }
    if (opts.flash && (path === FLASH_PATH || path.startsWith(`${FLASH_PATH}/`))) {
      void opts.flash.handle(req, path).then((r) => reply(req, res, r));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, 405, text('GET or HEAD only\n'));
    if (path === '/config.json') return send(req, res, 200, { type: 'application/json', body: pageConfig(desk, opts.broker, req, secure) });
    if (path === '/metrics' && opts.metrics) {
      const { metrics } = opts;
      metrics.render().then(
        (body) => send(req, res, 200, text(body, metrics.contentType)),
        (err: Error) => {
          logger.warn('metrics failed', { error: err.message });
          send(req, res, 500, text(`metrics failed: ${err.message}\n`));
        },
      );
      return;
    }
    const asset = assets.get(path);
    send(req, res, asset ? 200 : 404, asset ?? text('not found\n'));
  };
  const server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handle) : createServer(handle);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new DashboardListenError(opts.host, opts.port, err)));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `${secure ? 'https' : 'http'}://${urlHost(reachableHost(opts.host))}:${port}/`;
  logger.info('dashboard listening', { url, desk: opts.desk });

  return {
    url,
    async close() {
      const closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Browsers keep idle connections open; the server would otherwise wait for them.
        server.closeAllConnections();
      });
      await Promise.all([closed, opts.flash?.close()]);
    },
  };
}
