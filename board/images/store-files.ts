/**
 * The image store's files (docs/images.md, "On the board: the image store"): where blobs and
 * refs live, how a ref is read back (strictly: a ref that does not parse is not trusted), and
 * how a tree is removed so that a crash halfway never leaves something that looks complete.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { isValidId } from '../../broker/contract/topics.ts';
import { describeIssues } from '../../broker/contract/messages.ts';
import { ARCHES } from '../../images/format/manifest.ts';
import { fsyncPath } from '../../platform/atomic-file.ts';
import type { Logger } from '../../platform/log.ts';

export const SHA256 = /^[0-9a-f]{64}$/;
/** Unpacks in progress, and blobs being deleted: both go at the next open or gc. */
export const TMP_PREFIX = '.tmp-';

export class ImageStoreError extends Error {
  constructor(readonly code: 'no-keys' | 'not-found' | 'in-use', readonly image: string, detail: string) {
    super(`${image}: ${detail}`);
    this.name = 'ImageStoreError';
  }
}

export const ImageRefSchema = v.strictObject({
  v: v.literal(1),
  name: v.pipe(v.string(), v.check(isValidId)),
  version: v.string(),
  arch: v.picklist(ARCHES),
  sha256: v.pipe(v.string(), v.regex(SHA256)),
  unpackedBytes: v.pipe(v.number(), v.integer(), v.minValue(0)),
  origin: v.picklist(['install', 'board-image']),
  /** Epoch ms. */
  installedAt: v.pipe(v.number(), v.integer(), v.minValue(0)),
});
export type ImageRef = v.InferOutput<typeof ImageRefSchema>;

export interface StoreLayout {
  blobs: string;
  refs: string;
  blob(sha256: string): string;
  ref(name: string): string;
  tmp(): string;
}

export function storeLayout(dir: string): StoreLayout {
  const blobs = join(dir, 'blobs');
  const refs = join(dir, 'refs');
  return {
    blobs,
    refs,
    blob: (sha) => join(blobs, sha),
    ref: (name) => join(refs, `${name}.json`),
    tmp: () => join(blobs, `${TMP_PREFIX}${randomBytes(8).toString('hex')}`),
  };
}

/** The read-only guest root of a blob: what a guest of that image is started from. */
export function blobRootfs(storeDir: string, sha256: string): string {
  return join(storeLayout(storeDir).blob(sha256), 'rootfs');
}

/** Every ref that parses and names a blob that is there; anything else is logged and ignored. */
export async function readRefs(layout: StoreLayout, logger: Logger): Promise<Map<string, ImageRef>> {
  const refs = new Map<string, ImageRef>();
  for (const file of await readdir(layout.refs)) {
    if (file.startsWith('.') || !file.endsWith('.json')) continue;
    const path = join(layout.refs, file);
    let parsed: v.SafeParseResult<typeof ImageRefSchema>;
    try {
      parsed = v.safeParse(ImageRefSchema, JSON.parse(await readFile(path, 'utf8')));
    } catch (e) {
      logger.warn('unreadable image ref ignored', { file: path, error: (e as Error).message });
      continue;
    }
    if (!parsed.success) logger.warn('invalid image ref ignored', { file: path, error: describeIssues(parsed.issues) });
    else if (`${parsed.output.name}.json` !== file) logger.warn('image ref under another name ignored', { file: path, name: parsed.output.name });
    else if (!existsSync(layout.blob(parsed.output.sha256))) logger.warn('image ref without its blob ignored', { file: path, sha256: parsed.output.sha256 });
    else refs.set(parsed.output.name, parsed.output);
  }
  return refs;
}

/** rm -rf that also copes with folders an archive made read-only (when not running as root). */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
    const writable = async (p: string): Promise<void> => {
      if (!(await lstat(p)).isDirectory()) return;
      await chmod(p, 0o700);
      for (const name of await readdir(p)) await writable(join(p, name));
    };
    await writable(path);
    await rm(path, { recursive: true, force: true });
  }
}

/**
 * Deletes a blob (or the link to a shared one) by first renaming it to a temporary name: a crash during the (long) removal
 * leaves a leftover that the next open clears, never a partial blob under its real name.
 */
export async function dropBlob(layout: StoreLayout, sha256: string): Promise<number> {
  const dir = layout.blob(sha256);
  // A linked blob (store.adopt) frees nothing here: its files belong to the shared copy.
  const linked = await lstat(dir).then((st) => st.isSymbolicLink(), () => false);
  const bytes = linked ? 0 : await readFile(join(dir, 'manifest.json'), 'utf8')
    .then((text) => Number((JSON.parse(text) as { payload?: { unpackedBytes?: unknown } }).payload?.unpackedBytes) || 0, () => 0);
  const doomed = layout.tmp();
  await rename(dir, doomed);
  await fsyncPath(layout.blobs);
  await removeTree(doomed);
  return bytes;
}

/** Creates the store's folders and clears what a crash left: half-unpacked or half-deleted blobs, half-written refs. */
export async function clearLeftovers(layout: StoreLayout): Promise<void> {
  await mkdir(layout.blobs, { recursive: true });
  await mkdir(layout.refs, { recursive: true });
  for (const name of await readdir(layout.blobs)) if (name.startsWith(TMP_PREFIX)) await removeTree(join(layout.blobs, name));
  for (const name of await readdir(layout.refs)) if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(layout.refs, name), { force: true });
}

/** Runs the tasks given under one key one after another, whatever became of the one before. */
export function keyedQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => { if (tails.get(key) === tail) tails.delete(key); });
    return run;
  };
}
