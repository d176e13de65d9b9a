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
