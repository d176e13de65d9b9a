/**
 * Temporary folders for tests: made empty, removed whole. `prefix` is a name prefix under the
 * system's temp folder ('deskbox-agent-'), or a path prefix inside another folder
 * (join(work, 'rootfs-')) when it is absolute.
 *
 *   await withTempDir('deskbox-config-', async (dir) => { ... });      // one test's folder
 *   const work = await tempDir('deskbox-install-'); ... await work.remove();  // a file's folder
 *   const temps = tempDirs(); test.after.each(temps.removeAll);       // several per test
 *   const dir = tempDirSync('deskbox-store-'); ... dir.remove();     // where nothing may wait (node:test describe)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export interface TempDir {
  readonly path: string;
  /** Removes the folder and everything in it; idempotent. */
  remove(): Promise<void>;
}

const where = (prefix: string) => (isAbsolute(prefix) ? prefix : join(tmpdir(), prefix));

export async function tempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(where(prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** tempDir for synchronous code. */
export function tempDirSync(prefix: string): { readonly path: string; remove(): void } {
  const path = mkdtempSync(where(prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs `fn` with a fresh folder, removed afterwards however `fn` ended. */
export async function withTempDir<T>(prefix: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await tempDir(prefix);
  try {
    return await fn(dir.path);
  } finally {
    await dir.remove();
  }
}

/** Folders made over a test (or a file) and removed together. */
export interface TempDirs {
  make(prefix: string): Promise<string>;
  removeAll(): Promise<void>;
}

export function tempDirs(): TempDirs {
  const made: TempDir[] = [];
  return {
    async make(prefix) {
      const dir = await tempDir(prefix);
      made.push(dir);
      return dir.path;
    },
    async removeAll() {
      await Promise.all(made.splice(0).map((d) => d.remove()));
    },
  };
}
