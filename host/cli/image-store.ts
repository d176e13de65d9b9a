/**
 * `deskbox image install|ls|rm|gc`: guest images in the boards' stores. `install` serves the
 * file over HTTP from this computer for the boards to download (MQTT payloads stop at 64 KiB);
 * the server answers only at a random path, only with that file, only while the command runs.
 */
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { basename } from 'node:path';
import { resolveAccess } from '../client/access.ts';
import { readImageHead } from '../../images/verify-file.ts';
import { fanOut, report, targeted, type Targeting } from './fan-out.ts';
import { action } from './run.ts';

const short = (sha: string) => sha.slice(0, 12);
const size = (n: number) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`);

/** Serves `file` at `/<token>/<name>` on an ephemeral port of `host`; everything else is a 404. */
async function serveOnce(file: string, host: string): Promise<{ server: Server; url: string }> {
  const size = (await stat(file)).size;
  const path = `/${randomBytes(16).toString('hex')}/${encodeURIComponent(basename(file))}`;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}` };
}

export function addImageStoreCommands(image: Command): void {
  targeted(image.command('install <file>'))
    .description('install a guest image (.dbi) into the image store of each board')
    .option('--serve-host <addr>', 'address the boards reach this computer at (default: the broker\'s host)')
    .option('--timeout <s>', 'seconds to wait for each board', (x) => Number(x), 600)
    .action(action(async (file: string, o: Targeting & { serveHost?: string; timeout: number }) => {
      const head = await readImageHead(file).catch((e: NodeJS.ErrnoException) => { throw new Error(e.code === 'ENOENT' ? `${file}: no such file` : e.message); });
      if (head.manifest.kind !== 'guest') throw new Error(`${file} is a ${head.manifest.kind} image; only guest images go into a board's image store`);
      const access = await resolveAccess(o, 'host');
      const { server, url } = await serveOnce(file, o.serveHost ?? new URL(access.url).hostname);
      try {
        const outcomes = await fanOut(o, 'images.install', { url, sha256: head.manifest.payload.sha256 }, o.timeout * 1000, { access });
        report(outcomes, o.json, (r) => [r.name, r.version, short(r.sha256), r.deduped ? 'yes' : 'no', size(r.unpackedBytes), String(r.ms)],
          ['image', 'version', 'payload', 'deduped', 'unpacked', 'took ms']);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    }));

  targeted(image.command('ls'))
    .description('list the images in the image store of each board')
    .action(action(async (o: Targeting) => {
      const outcomes = await fanOut(o, 'images.ls', {}, 10_000);
      report(outcomes, o.json, (r) => (r.images.length === 0 ? [['(none)', '', '', '', '', '', '']]
        : r.images.map((i) => [i.name, i.version, i.arch, short(i.sha256), size(i.unpackedBytes), i.origin, String(i.sharedBy)])),
      ['image', 'version', 'arch', 'payload', 'unpacked', 'origin', 'blob shared by']);
    }));

  targeted(image.command('rm <name>'))
    .description('remove an image from each board (its blob goes too unless another image shares it)')
    .action(action(async (name: string, o: Targeting) => {
      const outcomes = await fanOut(o, 'images.rm', { name }, 60_000);
      report(outcomes, o.json, (r) => [r.name, r.blobRemoved ? 'yes' : 'no (shared)', size(r.freedBytes)], ['removed', 'blob removed', 'freed']);
    }));

  targeted(image.command('gc'))
    .description('remove blobs no image names and no guest uses, and what interrupted installs left')
    .action(action(async (o: Targeting) => {
      const outcomes = await fanOut(o, 'images.gc', {}, 60_000);
      report(outcomes, o.json, (r) => [String(r.removed.length), size(r.freedBytes), String(r.leftovers)], ['blobs removed', 'freed', 'leftovers']);
    }));
}
