/**
 * Guest images a board image carries (docs/images.md, "Board images") go into the store when
 * the board boots it. Only the slot's manifest is read when every carried guest is already
 * stored, so a normal boot costs one signature check, not a walk through the slot.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { asImageError } from '../../images/check-payload.ts';
import { ImageError } from '../../images/format/errors.ts';
import type { PublicKey } from '../../images/format/keys.ts';
import type { GuestListing } from '../../images/format/manifest.ts';
import { openImageStream } from '../../images/read-stream.ts';
import type { Logger } from '../../platform/log.ts';
import type { ImageStore, StoredImage } from './store.ts';

/**
 * The bytes of one tar entry as a stream of their own. Whoever reads it may stop early (the
 * store drops a payload it already holds): the rest of the entry is then skipped, whereas
 * destroying the entry itself would end the whole archive walk.
 */
function detached(entry: Readable): Readable {
  let dropped = false;
  const out = new Readable({
    read: () => { entry.resume(); },
    destroy: (err, cb) => { dropped = true; entry.resume(); cb(err); },
  });
  entry.on('data', (chunk: Buffer) => { if (!dropped && !out.push(chunk)) entry.pause(); });
  let ended = false;
  entry.on('end', () => { ended = true; if (!dropped) out.push(null); });
  entry.on('error', (e: Error) => out.destroy(e));
  entry.on('close', () => { if (!ended) out.destroy(new Error('the archive walk stopped inside this entry')); });
  return out;
}

/**
 * Installs the carried guests the store lacks (by name and payload); resolves with what it
 * installed. `sharedBlobsDir`: a verified copy unpacked once for many boards (store.adopt);
 * what it holds is linked, and the slot is walked only for the rest.
 */
export async function installCarriedImages(store: ImageStore, slotFile: string, keys: readonly PublicKey[], logger: Logger, sharedBlobsDir?: string): Promise<StoredImage[]> {
  const fileSize = (await stat(slotFile)).size;
  const slot = await openImageStream(createReadStream(slotFile), { name: slotFile, keys, fileSize });
  const board = slot.head.manifest.board;
  if (!board) {
    slot.payload.destroy();
    throw new ImageError('board', slotFile, `the slot holds a ${slot.head.manifest.kind} image, not a board image`);
  }
  const stored = new Set(store.list().map((i) => `${i.name}@${i.sha256}`));
  const missing = new Map<string, GuestListing>(board.guests.filter((g) => !stored.has(`${g.name}@${g.sha256}`)).map((g) => [g.path, g]));
  const installed: StoredImage[] = [];
  if (sharedBlobsDir) {
    for (const g of [...missing.values()]) {
      // A shared copy that cannot be linked is no loss: the slot holds the image too.
      const linked = await store.adopt(g, sharedBlobsDir, 'board-image').catch((e: Error) => {
        logger.warn('shared guest image not linked; unpacking it from the slot', { image: g.name, error: e.message });
        return undefined;
      });
      if (linked) { installed.push(linked); missing.delete(g.path); }
    }
  }
  if (missing.size === 0) {
    slot.payload.destroy();
    return installed;
  }
  // A broken slot stops the walk mid-entry; the install that entry fed cleans up before we return.
  let current: Promise<void> = Promise.resolve();
  const walk = tarExtract();
  const walked = new Promise<void>((resolve, reject) => {
    walk.on('entry', (header, entry, next) => {
      const listing = header.type === 'file' ? missing.get(header.name) : undefined;
      if (!listing) {
        entry.on('end', () => next());
        entry.resume();
        return;
      }
      const name = `${slotFile}:${listing.path}`;
      const ended = new Promise<void>((res) => entry.on('end', () => res()));
      current = store.install(detached(entry), { name, origin: 'board-image', fileSize: header.size, expectSha256: listing.sha256 })
        .then((image) => { installed.push(image); missing.delete(listing.path); },
          (e: Error) => logger.warn('carried guest image not installed', { image: name, error: e.message }));
      void current.then(() => ended).then(() => next());
    });
    walk.on('finish', resolve);
    walk.on('error', (e: Error) => reject(asImageError(e, slotFile)));
  });
  slot.payload.on('error', (e) => walk.destroy(e));
  slot.payload.pipe(walk as unknown as NodeJS.WritableStream);
  await walked.catch(async (e: unknown) => { await current; throw e; });
  for (const g of missing.values()) logger.warn('carried guest image missing from the slot', { slot: slotFile, path: g.path, name: g.name });
  return installed;
}
