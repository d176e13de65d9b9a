/**
 * The armhf files an x86_64 desk computer keeps for armv7 boards (scripts/fetch-armhf.sh puts
 * them in .cache/armhf, or $DESKBOX_ARMHF): Debian 12's armhf nodejs with its libraries (a
 * sysroot), the official Node 20.11.0 armv7l build, Node's headers and a static busybox.
 * Programs from it run here only under qemu-user, started explicitly (no binfmt_misc).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export class ArmhfCacheError extends Error {
  constructor(readonly dir: string, detail: string) {
    super(`armhf files in ${dir}: ${detail} (run scripts/fetch-armhf.sh)`);
    this.name = 'ArmhfCacheError';
  }
}

/** One armv7 Node build a board may run. */
export interface ArmNode {
  name: 'node-20.11-armv7l' | 'debian-nodejs-18.20';
  /** Path of the binary inside the cache. */
  binary: string;
  /** Its ABI (process.versions.modules): native addons are built once per ABI. */
  abi: number;
  /** Folder whose include/node holds this build's headers, for node-gyp --nodedir. */
  nodedir: string;
}

export interface ArmhfCache {
  dir: string;
  sysroot: string;
  busybox: string;
  nodes: ArmNode[];
  /** The command line that runs an armhf program here: qemu-arm-static with a Cortex-A8 CPU. */
  emulate(program: string, args?: string[]): string[];
}

export function armhfCacheDir(root: string): string {
  return process.env.DESKBOX_ARMHF ?? join(root, '.cache', 'armhf');
}

export function openArmhfCache(dir: string): ArmhfCache {
  if (!existsSync(join(dir, '.done'))) throw new ArmhfCacheError(dir, 'not fetched');
  const sysroot = join(dir, 'sysroot');
  return {
    dir,
    sysroot,
    busybox: join(dir, 'busybox'),
    nodes: [
      { name: 'node-20.11-armv7l', binary: join(dir, 'node20', 'bin', 'node'), abi: 115, nodedir: join(dir, 'node20') },
      { name: 'debian-nodejs-18.20', binary: join(sysroot, 'usr', 'bin', 'nodejs'), abi: 108, nodedir: join(dir, 'node18-headers') },
    ],
    emulate: (program, args = []) => ['qemu-arm-static', '-cpu', 'cortex-a8', '-L', sysroot, program, ...args],
  };
}
