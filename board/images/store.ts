/**
 * A board's content-addressed guest image store (docs/images.md, "the image store"). An image
 * is checked while it unpacks into a temporary folder, which is renamed to `blobs/<sha>` only
 * once every check passed; a ref then names it. A blob is never changed after that rename,
 * so guests may run from it while other images come and go.
 */
import { readFile, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { openImageStream } from '../../images/read-stream.ts';
import type { PublicKey } from '../../images/format/keys.ts';
import type { Arch, GuestListing, Manifest } from '../../images/format/manifest.ts';
import { fsyncPath, writeFileAtomic } from '../../platform/atomic-file.ts';
import type { Logger } from '../../platform/log.ts';
import { clearLeftovers, dropBlob, ImageStoreError, keyedQueue, readRefs, removeTree, SHA256, storeLayout, TMP_PREFIX, type ImageRef } from './store-files.ts';
import { refusal, unpackBlob } from './unpack.ts';

export { ImageStoreError, type ImageRef };
export type StoredImage = Omit<ImageRef, 'v'> & { deduped: boolean };
export type ListedImage = Omit<ImageRef, 'v'> & { sharedBy: number };
/** What a board image says of a guest it carries: enough to find and check a shared copy. */
export type SharedListing = Pick<GuestListing, 'name' | 'version' | 'arch' | 'sha256'>;

export interface ImageStoreOptions {
  dir: string;
  keys: readonly PublicKey[];
  arch: Arch;
  logger: Logger;
  /** Whether running guests use this blob's rootfs; such a blob is never removed. */
  inUse?: (sha256: string) => boolean;
  now?: () => number;
}

export interface InstallOptions {
  /** Names the source in errors: a URL, a slot entry. */
  name: string;
  origin: ImageRef['origin'];
  fileSize?: number;
  /** Refuse the image unless its payload has this SHA-256. */
  expectSha256?: string;
}

const stripV = ({ v: _v, ...rest }: ImageRef) => rest;

export async function openImageStore(opts: ImageStoreOptions) {
  const { keys, arch, logger } = opts;
  const inUse = opts.inUse ?? (() => false);
  const now = opts.now ?? Date.now;
  const layout = storeLayout(opts.dir);
  await clearLeftovers(layout);
  const refs = await readRefs(layout, logger);
  const queue = keyedQueue();
  // Store changes (refs, renames into blobs/, removals) happen one at a time; unpacking does not.
  const exclusive = <T>(fn: () => Promise<T>) => queue('', fn);
  const unpacking = new Set<string>();
  const blobExists = (sha: string) => stat(layout.blob(sha)).then(() => true, () => false);

  const writeRef = async (ref: ImageRef) => {
    await writeFileAtomic(layout.ref(ref.name), JSON.stringify(ref) + '\n', { durable: true });
    await fsyncPath(layout.refs);
    refs.set(ref.name, ref);
  };

  async function install(source: Readable, o: InstallOptions): Promise<StoredImage> {
    if (keys.length === 0) {
      source.destroy();
      throw new ImageStoreError('no-keys', o.name, 'no trusted keys configured (images.trustedKeys), so every image would be refused');
    }
    const opened = await openImageStream(source, { name: o.name, keys, fileSize: o.fileSize });
    const { manifest } = opened.head;
    const sha = manifest.payload.sha256;
    const ref: ImageRef = { v: 1, name: manifest.name, version: manifest.version, arch: manifest.arch, sha256: sha, unpackedBytes: manifest.payload.unpackedBytes, origin: o.origin, installedAt: now() };
    const refused = refusal(manifest, { source: o.name, arch, sha256: o.expectSha256 });
    if (refused) {
      opened.payload.destroy();
      source.destroy();
      throw refused;
    }
    const store = async (): Promise<StoredImage> => {
      const deduped = await exclusive(async () => {
        if (!(await blobExists(sha))) return false;
        // The signed manifest vouches for the payload, and the blob holds exactly it.
        opened.payload.destroy();
        source.destroy();
        await writeRef(ref);
        return true;
      });
      if (deduped) return { ...stripV(ref), deduped: true };
      const tmp = layout.tmp();
      unpacking.add(tmp);
      try {
        await unpackBlob(opened.payload, tmp, opened.head, o.name);
        await exclusive(async () => {
          await rename(tmp, layout.blob(sha));
          await fsyncPath(layout.blobs);
          // Without its ref the new blob is garbage: take it back out rather than leave it.
          await writeRef(ref).catch(async (e: unknown) => { await dropBlob(layout, sha).catch(() => 0); throw e; });
        });
        logger.info('image installed', { name: ref.name, version: ref.version, sha256: sha, origin: o.origin });
        return { ...stripV(ref), deduped: false };
      } catch (e) {
        opened.payload.destroy();
        source.destroy();
        await removeTree(tmp);
        throw e;
      } finally {
        unpacking.delete(tmp);
      }
    };
    // Two installs of one payload take turns: the second finds the blob and only adds its ref.
    return queue(sha, store);
  }

  /**
   * Names a blob another party unpacked and verified (images.sharedBlobsDir: the simulated
   * desk's one copy for all its boards) through a symlink instead of unpacking it again.
   * Resolves undefined when the shared folder does not hold exactly that image.
   */
  async function adopt(listing: SharedListing, sharedBlobsDir: string, origin: ImageRef['origin']): Promise<StoredImage | undefined> {
    const shared = join(sharedBlobsDir, listing.sha256);
    const manifest = await readFile(join(shared, 'manifest.json'), 'utf8').then((t) => JSON.parse(t) as Partial<Manifest>, () => undefined);
    if (listing.arch !== arch) return undefined;
    if (!manifest || manifest.kind !== 'guest' || manifest.name !== listing.name || manifest.version !== listing.version
      || manifest.arch !== listing.arch || manifest.payload?.sha256 !== listing.sha256 || !(await stat(join(shared, 'rootfs')).then(() => true, () => false))) return undefined;
    const ref: ImageRef = { v: 1, name: listing.name, version: listing.version, arch: listing.arch, sha256: listing.sha256, unpackedBytes: manifest.payload.unpackedBytes, origin, installedAt: now() };
    return queue(ref.sha256, () => exclusive(async () => {
      const deduped = await blobExists(ref.sha256);
      if (!deduped) {
        const tmp = layout.tmp();
        await symlink(shared, tmp);
        await rename(tmp, layout.blob(ref.sha256));
        await fsyncPath(layout.blobs);
      }
      await writeRef(ref);
      logger.info('image linked', { name: ref.name, version: ref.version, sha256: ref.sha256, from: sharedBlobsDir });
      return { ...stripV(ref), deduped };
    }));
  }

  return {
    dir: opts.dir,
    install,
    adopt,
    list(): ListedImage[] {
      const all = [...refs.values()].sort((a, b) => a.name.localeCompare(b.name));
      return all.map((r) => ({ ...stripV(r), sharedBy: all.filter((o) => o.sha256 === r.sha256).length }));
    },
    /** The rootfs folder of an installed image; synchronous, as guests ask on every launch. */
    resolve(name: string): string | undefined {
      const ref = refs.get(name);
      return ref ? join(layout.blob(ref.sha256), 'rootfs') : undefined;
    },
    /** Drops the ref, and the blob with it when no other ref names it. */
    remove(name: string): Promise<{ name: string; sha256: string; blobRemoved: boolean; freedBytes: number }> {
      return exclusive(async () => {
        const ref = refs.get(name);
        if (!ref) throw new ImageStoreError('not-found', name, 'no such image in the store');
        const shared = [...refs.values()].some((r) => r !== ref && r.sha256 === ref.sha256);
        if (!shared && inUse(ref.sha256)) throw new ImageStoreError('in-use', name, `running guests use this image (${ref.sha256.slice(0, 12)}); stop them first`);
        await rm(layout.ref(name));
        await fsyncPath(layout.refs);
        refs.delete(name);
        const freedBytes = shared ? 0 : await dropBlob(layout, ref.sha256);
        logger.info('image removed', { name, sha256: ref.sha256, blobRemoved: !shared });
        return { name, sha256: ref.sha256, blobRemoved: !shared, freedBytes };
      });
    },
    /** Removes blobs no ref names and no guest uses, and what crashed installs left. */
    gc(): Promise<{ removed: string[]; freedBytes: number; leftovers: number }> {
      return exclusive(async () => {
        const named = new Set([...refs.values()].map((r) => r.sha256));
        const removed: string[] = [];
        let freedBytes = 0;
        let leftovers = 0;
        for (const name of await readdir(layout.blobs)) {
          const path = join(layout.blobs, name);
          if (name.startsWith(TMP_PREFIX)) {
            if (!unpacking.has(path)) { await removeTree(path); leftovers++; }
          } else if (SHA256.test(name) && !named.has(name) && !inUse(name)) {
            freedBytes += await dropBlob(layout, name);
            removed.push(name);
          }
        }
        if (removed.length || leftovers) logger.info('images collected', { removed: removed.length, freedBytes, leftovers });
        return { removed, freedBytes, leftovers };
      });
    },
  };
}

export type ImageStore = Awaited<ReturnType<typeof openImageStore>>;
