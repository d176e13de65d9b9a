import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** fsync before the rename: state that must survive a power cut (flash, credentials). */
  durable?: boolean;
  mode?: number;
}

/**
 * Replaces a file so a concurrent reader sees the old or the new contents, never a torn or
 * empty one; with `durable`, a crash at any moment leaves one of the two on disk as well.
 * Simulated hardware files skip the fsync: they are rewritten every second and lose nothing
 * in a crash. The temporary name starts with a dot so directory watchers can ignore it.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, opts: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'w', opts.mode ?? 0o644);
    try {
      await fh.writeFile(data);
      if (opts.durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export interface AtomicFile {
  /** The temporary file being filled; gets the final name only on commit. */
  readonly tmpPath: string;
  write(data: Buffer): Promise<void>;
  /** fsync, rename over `path`, fsync the folder: after this the new file survives a power cut. */
  commit(): Promise<void>;
  /** Drops the temporary file; safe to call after a failed write or twice. */
  abort(): Promise<void>;
}

/** The streaming form of writeFileAtomic, for files too big to hold in memory (images, slots). */
export async function openAtomicFile(path: string, mode = 0o644): Promise<AtomicFile> {
  await mkdir(dirname(path), { recursive: true });
  const tmpPath = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmpPath, 'wx', mode);
  let closed = false;
  const close = async () => {
    if (!closed) { closed = true; await fh.close(); }
  };
  return {
    tmpPath,
    async write(data) {
      await fh.write(data);
    },
    async commit() {
      await fh.sync();
      await close();
      await rename(tmpPath, path);
      await fsyncPath(dirname(path));
    },
    async abort() {
      await close().catch(() => undefined);
      await rm(tmpPath, { force: true });
    },
  };
}

/**
 * Puts a complete file written beside `dest` in its place durably: fsync it, rename it over
 * `dest`, fsync the folder. On failure the temporary file is removed and `dest` is untouched.
 */
export async function renameIntoPlace(tmp: string, dest: string): Promise<void> {
  try {
    await fsyncPath(tmp);
    await rename(tmp, dest);
    await fsyncPath(dirname(dest));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
