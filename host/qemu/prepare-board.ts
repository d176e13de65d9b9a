/**
 * A QEMU board's disk from scratch, in the board's folder: its files installed into a staging
 * tree (board-install.ts), the disk built around them (board-disk.ts), the staging tree gone.
 * Making it again replaces the board's disk whole: the A/B slots start over from the image.
 */
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { buildBoardDisk } from './board-disk.ts';
import { installQemuBoard, type QemuBoardIdentity } from './board-install.ts';
import type { QemuBoardOs } from './os-cache.ts';

export const DISK_FILE = 'disk.img';

/** Returns the disk's path. `bootProgram`: the desk's dist/board-boot.mjs, which runs the installer. */
export async function prepareQemuBoardDisk(dir: string, os: QemuBoardOs, bootProgram: string, identity: QemuBoardIdentity): Promise<string> {
  const disk = join(dir, DISK_FILE);
  const staging = join(dir, '.state-staging');
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, 'root'), { recursive: true });
  try {
    await installQemuBoard(bootProgram, join(staging, 'root'), identity);
    await buildBoardDisk(disk, os, staging);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return disk;
}
