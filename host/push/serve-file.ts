/**
 * The host's end of a push: serves one file over HTTP with Range support, at a random path
 * on an ephemeral port, only while the push runs, and counts the bytes it sends (the figure
 * that shows the tree spared the desk computer's uplink).
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';
import { serveFileRange } from '../../images/push/serve-range.ts';

export interface ServedPush {
  url: string;
  bytesSent(): number;
  close(): Promise<void>;
}

export async function servePushFile(file: string, host: string): Promise<ServedPush> {
  const fh = await open(file, 'r');
  const size = (await fh.stat()).size;
  const path = `/push/${randomBytes(16).toString('hex')}`;
  let sent = 0;
  const server = createServer((req, res) => {
    if (req.url !== path) return void res.writeHead(404).end();
    serveFileRange(req, res, { fh, size, onBytes: (n) => { sent += n; } });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
  } catch (e) {
    await fh.close();
    throw new Error(`cannot serve ${file} on ${host}: ${(e as Error).message} (--serve-host chooses the address)`);
  }
  const { port } = server.address() as { port: number };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
    bytesSent: () => sent,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await fh.close();
    },
  };
}
