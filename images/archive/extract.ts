/**
 * Unpacking an untrusted archive. The rules keep every path inside the destination as long as
 * nothing the archive created is followed, so files are created with O_EXCL|O_NOFOLLOW and
 * links are made, never opened. A board unpacks guest images this way before checking them.
 */

import { constants } from 'node:fs';
import { link, mkdir, open, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { ArchiveError, type ArchiveRules, createArchiveRules } from './rules.ts';
import { walkArchive, type EntryHandler, type ExtractResult } from './read.ts';

export { listArchive, type ExtractResult } from './read.ts';

const WRITE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const OPEN_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * Unpacks into `dest`, an existing empty folder the caller owns. `done` resolves once every
 * file and folder is on disk and fsynced, and rejects with ArchiveError on the first broken
 * rule, corrupt or truncated input, or filesystem error; `dest` then holds a partial tree for
 * the caller to remove. Owners are not kept.
 */
export function extractArchive(
  dest: string,
  opts: { rules?: ArchiveRules; onFile?(path: string, size: number): void } = {},
): { writable: Writable; done: Promise<ExtractResult> } {
  /** Every folder that holds an entry or was declared, with the mode the archive gave it. */
  const dirs = new Map<string, number | undefined>([['', undefined]]);
  const at = (path: string) => (path === '' ? dest : join(dest, path));

  const makeParents = async (path: string) => {
    const parent = path.includes('/') ? dirname(path) : '';
    if (dirs.has(parent)) return;
    // Safe to create through: the rules refused any path through a symlink of the archive.
    await mkdir(at(parent), { recursive: true, mode: 0o755 });
    for (let d = parent; !dirs.has(d); d = d.includes('/') ? dirname(d) : '') dirs.set(d, undefined);
  };

  const handle: EntryHandler = async ({ path, kind, target }, header, data) => {
    try {
      if (path !== '') await makeParents(path);
      const mode = (header.mode ?? 0o755) & 0o7777;
      if (kind === 'directory') {
        // Filled as the owner first; the archive's mode is applied at the end.
        if (!dirs.has(path)) await mkdir(at(path), 0o700);
        dirs.set(path, mode);
      } else if (kind === 'file') {
        await writeNew(at(path), data, mode);
        opts.onFile?.(path, header.size ?? 0);
      } else if (kind === 'symlink') {
        await symlink(header.linkname ?? '', at(path));
      } else {
        await link(at(target ?? ''), at(path));
      }
    } catch (e) {
      throw e instanceof ArchiveError ? e : new ArchiveError(path, `cannot create ${kind}: ${(e as Error).message}`);
    }
  };

  // Deepest first, so a folder that becomes read-only has already been filled and synced.
  const finishDirs = async () => {
    for (const [path, mode] of [...dirs].sort(([a], [b]) => b.length - a.length)) {
      await finishDir(at(path), mode).catch((e: Error) => { throw new ArchiveError(path, `cannot finish directory: ${e.message}`); });
    }
  };

  return walkArchive(opts.rules ?? createArchiveRules(), handle, finishDirs);
}

async function finishDir(path: string, mode: number | undefined): Promise<void> {
  const fh = await open(path, OPEN_DIR);
  try {
    if (mode !== undefined) await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeNew(path: string, data: AsyncIterable<Buffer>, mode: number): Promise<void> {
  const fh = await open(path, WRITE_NEW, 0o600);
  try {
    for await (const chunk of data) {
      for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off)).bytesWritten;
    }
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
