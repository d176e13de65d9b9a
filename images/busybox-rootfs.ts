import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../platform/log.ts';
import { readBusybox } from './busybox-applets.ts';
import { readElf } from './elf.ts';
import { fsyncPath } from '../platform/atomic-file.ts';

/**
 * The smallest useful guest image: one static busybox and its applets. The board mounts an
 * image folder read-only and shares it between all guests, so the folder is built complete
 * under a temporary sibling name and only then renamed to its final name.
 */

export class ImageBuildError extends Error {
  constructor(readonly dest: string, readonly detail: string) {
    super(`building image ${dest}: ${detail}`);
    this.name = 'ImageBuildError';
  }
}

export interface BuiltImage {
  dir: string;
  applets: number;
  /** Bytes of regular-file content (the busybox binary dominates). */
  bytes: number;
  /** The busybox's own version, from its banner; undefined if it names none. */
  version?: string;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';
/** Each guest gets its own hostname through its UTS namespace; this is what a bare chroot sees. */
const HOSTNAME = 'deskbox-guest\n';
const EMPTY_DIRS = ['proc', 'dev', 'sys', 'tmp', 'run', 'var/tmp', 'root'];

export function defaultBusyboxPath(): string | undefined {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch { /* try the next one */ }
  }
  return undefined;
}

export async function buildBusyboxRootfs(opts: { busybox: string; dest: string; logger: Logger }): Promise<BuiltImage> {
  const { busybox, dest, logger } = opts;
  const fail = (detail: string) => new ImageBuildError(dest, detail);
  if (await lstat(dest).then(() => true, () => false)) throw fail('destination exists; remove it first');
  const elf = await readElf(busybox).catch((e: Error) => { throw fail(e.message); });
  if (elf.interpreter) {
    throw fail(`${busybox} is dynamically linked (interpreter ${elf.interpreter}); a guest image needs a static busybox (Debian: busybox-static)`);
  }
  // Read from the file (busybox-applets.ts): the busybox may be for another CPU than this one.
  const { applets, version } = await readBusybox(busybox, elf).catch((e: Error) => { throw fail(e.message); });

  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(join(tmp, 'bin'), { recursive: true });
    await copyFile(busybox, join(tmp, 'bin/busybox'));
    await chmod(join(tmp, 'bin/busybox'), 0o755);
    for (const a of applets) await symlink('busybox', join(tmp, 'bin', a));
    await mkdir(join(tmp, 'etc'));
    await writeFile(join(tmp, 'etc/passwd'), PASSWD, { mode: 0o644 });
    await writeFile(join(tmp, 'etc/group'), GROUP, { mode: 0o644 });
    await writeFile(join(tmp, 'etc/hostname'), HOSTNAME, { mode: 0o644 });
    for (const d of EMPTY_DIRS) await mkdir(join(tmp, d), { recursive: true });
    // mkdir's mode is filtered by the umask; the sticky world-writable bit must be exact.
    await chmod(join(tmp, 'tmp'), 0o1777);
    await chmod(join(tmp, 'var/tmp'), 0o1777);
    await chmod(join(tmp, 'root'), 0o700);
    // A power cut after the rename must not leave a complete-looking image with empty files.
    for (const f of ['bin/busybox', 'etc/passwd', 'etc/group', 'etc/hostname', 'bin', 'etc', '.']) await fsyncPath(join(tmp, f));
    const bytes = await contentBytes(tmp);
    await rename(tmp, dest).catch((e: NodeJS.ErrnoException) => {
      throw fail(e.code === 'ENOTEMPTY' || e.code === 'EEXIST' ? 'destination appeared during the build' : e.message);
    });
    await fsyncPath(dirname(dest));
    logger.info('image built', { dest, applets: applets.length, bytes, busybox, version });
    return { dir: dest, applets: applets.length, bytes, version };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e instanceof ImageBuildError ? e : fail((e as Error).message);
  }
}

async function contentBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await lstat(join(e.parentPath, e.name))).size;
  }
  return total;
}
