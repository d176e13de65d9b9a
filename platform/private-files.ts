/**
 * Owner-only files and folders, for what holds secrets (passwords, keys) or messages (stores,
 * logs). The mode is set with chmod after creation as well as asked for at open/mkdir: a mode
 * given to open or mkdir only applies to a file that did not exist yet, so an older file (or one
 * a library created with its own default, as SQLite does with 0644) would keep its wider mode.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import { chmod, mkdir, open } from 'node:fs/promises';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates the folder (and missing parents, also 0700) if needed and makes it 0700. */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(path, PRIVATE_DIR_MODE);
}

/** Creates the file empty if needed (contents are kept) and makes it 0600. */
export async function ensurePrivateFile(path: string): Promise<void> {
  const fh = await open(path, 'a', PRIVATE_FILE_MODE);
  try {
    await fh.chmod(PRIVATE_FILE_MODE);
  } finally {
    await fh.close();
  }
}

/** ensurePrivateFile for synchronous callers (opening a database). */
export function ensurePrivateFileSync(path: string): void {
  const fd = openSync(path, 'a', PRIVATE_FILE_MODE);
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

/** Makes an existing file 0600; a missing one is not an error (nothing to protect). */
export function restrictFileSync(path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
