/**
 * The QEMU boards' operating system, built once from Debian armhf packages by
 * scripts/build-qemu-board-os.sh into .cache/qemu-armhf (or $DESKBOX_QEMU_OS): the boot
 * partition (kernel, initramfs, extlinux.conf) and the read-only system partition every QEMU
 * board shares.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export class QemuOsError extends Error {
  constructor(readonly dir: string, detail: string) {
    super(`QEMU board OS in ${dir}: ${detail} (run scripts/build-qemu-board-os.sh)`);
    this.name = 'QemuOsError';
  }
}

export interface QemuBoardOs {
  dir: string;
  bootPartition: string;
  systemPartition: string;
  /** What went in: Debian package versions and the kernel release, one per line. */
  versionsFile: string;
}

export function qemuOsDir(root: string): string {
  return process.env.DESKBOX_QEMU_OS ?? join(root, '.cache', 'qemu-armhf');
}

export function openQemuBoardOs(dir: string): QemuBoardOs {
  const built = existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('.done-'));
  if (!built) throw new QemuOsError(dir, 'not built');
  return { dir, bootPartition: join(dir, 'boot.ext2'), systemPartition: join(dir, 'system.ext4'), versionsFile: join(dir, 'versions') };
}
