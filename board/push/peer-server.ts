/**
 * The board's side of the push tree: once a pushed file is complete and verified, the board
 * serves it read-only at `/push/<id>` so its children in the tree fetch from it instead of
 * the host. It listens only while it serves something; each file goes on push.done or after
 * `idleMs` without a request. Peers check every chunk, so a board never vouches for bytes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Clock, TimerHandle } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { serveFileRange } from '../../images/push/serve-range.ts';

export interface PeerServerOptions {
  listenHost: string;
  advertiseHost?: string;
  idleMs: number;
  clock: Clock;
  logger: Logger;
}

interface Served {
  fh: FileHandle;
  size: number;
  servedBytes: number;
  requests: number;
  idle: TimerHandle;
}

export interface ServingStats {
  servedBytes: number;
  requests: number;
}

export type PeerServer = ReturnType<typeof createPeerServer>;

export function createPeerServer(opts: PeerServerOptions) {
  const { clock, logger } = opts;
  const served = new Map<string, Served>();
  let listening: Promise<{ server: Server; base: string }> | undefined;

  const arm = (id: string) => clock.setTimeout(() => {
    logger.info('pushed file idle, no longer served', { id });
    void stop(id);
  }, opts.idleMs);

  const handle: Parameters<typeof createServer>[1] = (req, res) => {
    const id = /^\/push\/([0-9a-f]{16})$/.exec(req.url ?? '')?.[1];
    const entry = id === undefined ? undefined : served.get(id);
    if (!id || !entry) return void res.writeHead(404).end();
    clock.clearTimeout(entry.idle);
    entry.idle = arm(id);
    entry.requests += 1;
    serveFileRange(req, res, { fh: entry.fh, size: entry.size, onBytes: (n) => { entry.servedBytes += n; } });
  };

  const listen = () => new Promise<{ server: Server; base: string }>((resolve, reject) => {
    const server = createServer(handle);
    server.once('error', reject);
    server.listen(0, opts.listenHost, () => {
      const host = opts.advertiseHost ?? opts.listenHost;
      const { port } = server.address() as { port: number };
      resolve({ server, base: `http://${host.includes(':') ? `[${host}]` : host}:${port}` });
    });
  });

  const shutDown = async () => {
    const current = listening;
    listening = undefined;
    const { server } = await current!;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };

  async function stop(id: string): Promise<ServingStats | undefined> {
    const entry = served.get(id);
    if (!entry) return undefined;
    served.delete(id);
    clock.clearTimeout(entry.idle);
    await entry.fh.close().catch(() => undefined);
    if (served.size === 0 && listening) await shutDown();
    return { servedBytes: entry.servedBytes, requests: entry.requests };
  }

  return {
    /** Serves `file` (a complete, verified push) as `id`; returns its URL for peers. */
    async serve(id: string, file: string): Promise<string> {
      // Held open: a later write to the path (another push) does not change what peers get.
      const fh = await open(file, 'r');
      const size = (await fh.stat()).size;
      const previous = served.get(id);
      if (previous) {
        clock.clearTimeout(previous.idle);
        await previous.fh.close().catch(() => undefined);
      }
      served.set(id, { fh, size, servedBytes: previous?.servedBytes ?? 0, requests: previous?.requests ?? 0, idle: arm(id) });
      listening ??= listen();
      try {
        return `${(await listening).base}/push/${id}`;
      } catch (e) {
        listening = undefined;
        await stop(id);
        throw e;
      }
    },
    stop,
    async close(): Promise<void> {
      await Promise.all([...served.keys()].map(stop));
      if (listening) await shutDown().catch(() => undefined);
    },
  };
}
