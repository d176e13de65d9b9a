/**
 * `deskbox image unpack`: an image's payload into a new folder, every block checked on the
 * way (and the signature, when keys are given). How a new board gets the boot program and
 * its installer out of a board image (docs/real-board.md). The folder appears whole or not at
 * all: it is filled under a temporary sibling name, then renamed.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { PublicKey } from './format/keys.ts';
import type { Manifest } from './format/manifest.ts';
import { openImageStream } from './read-stream.ts';
import { extractArchive } from './archive/extract.ts';
import { asImageError } from './check-payload.ts';

export async function unpackImageFile(file: string, dest: string, opts: { keys?: readonly PublicKey[] } = {}): Promise<{ manifest: Manifest; signer: string | null }> {
  if (existsSync(dest)) throw new Error(`${dest} exists; unpack into a new folder`);
  const size = (await stat(file)).size;
  const { head, payload } = await openImageStream(createReadStream(file, { highWaterMark: 1 << 20 }), { name: file, keys: opts.keys, fileSize: size });
  await mkdir(dirname(dest), { recursive: true });
  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(tmp);
    const unpack = extractArchive(tmp);
    payload.on('error', (e) => unpack.writable.destroy(e));
    payload.pipe(unpack.writable);
    await unpack.done.catch((e: unknown) => { throw asImageError(e, file); });
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { manifest: head.manifest, signer: head.signer?.id ?? null };
}
