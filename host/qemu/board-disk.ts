/**
 * Builds a QEMU board's disk (disk-layout.ts) without root or loop devices: the partition table,
 * the cached boot and system partitions copied in (all-zero blocks skipped, so the file stays
 * sparse), and the board's state partition made by `mke2fs -d` straight into its place on the
 * disk, from the board's installed files laid out as the overlay's upper folder.
 */
import { execFile } from 'node:child_process';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DISK_SIZE, masterBootRecord, partition, type Partition } from './disk-layout.ts';
import type { QemuBoardOs } from './os-cache.ts';

export class QemuDiskError extends Error {
  constructor(readonly disk: string, detail: string) {
    super(`QEMU board disk ${disk}: ${detail}`);
    this.name = 'QemuDiskError';
  }
}

const CHUNK = 1024 * 1024;

async function copyInto(disk: FileHandle, diskPath: string, source: string, into: Partition): Promise<void> {
  const src = await open(source, 'r');
  try {
    const { size } = await src.stat();
    if (size > into.size) throw new QemuDiskError(diskPath, `${source} (${size} bytes) does not fit the ${into.name} partition (${into.size})`);
    const buf = Buffer.alloc(CHUNK);
    for (let at = 0; at < size; at += CHUNK) {
      const { bytesRead } = await src.read(buf, 0, CHUNK, at);
      const chunk = buf.subarray(0, bytesRead);
      if (chunk.some((b) => b !== 0)) await disk.write(chunk, 0, bytesRead, into.offset + at);
    }
  } finally {
    await src.close();
  }
}

/**
 * `stateTree` becomes the state partition: its `root/` holds the board's files at their board
 * paths (board-install.ts), the overlay's upper folder; `work/`, the overlay's own, is made here.
 */
export async function buildBoardDisk(disk: string, os: QemuBoardOs, stateTree: string): Promise<void> {
  const state = partition('state');
  await mkdir(join(stateTree, 'work'), { recursive: true });
  const fh = await open(disk, 'w');
  try {
    await fh.truncate(DISK_SIZE);
    await fh.write(masterBootRecord(), 0, 512, 0);
    await copyInto(fh, disk, os.bootPartition, partition('boot'));
    await copyInto(fh, disk, os.systemPartition, partition('system'));
  } finally {
    await fh.close();
  }
  try {
    await promisify(execFile)('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'deskbox-state', '-E', `offset=${state.offset}`,
      '-d', stateTree, disk, `${state.size / 1024}k`]);
  } catch (e) {
    throw new QemuDiskError(disk, `mke2fs of the state partition: ${((e as { stderr?: string }).stderr || (e as Error).message).trim()}`);
  }
}
