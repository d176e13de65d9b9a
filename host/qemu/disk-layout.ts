/**
 * Where everything sits on a QEMU board's disk (virtio0), as an MS-DOS partition table: fixed
 * offsets, so U-Boot commands can name a partition by its first block whatever the images'
 * sizes. 1: boot (ext2, bootable: U-Boot's distro boot looks there for extlinux.conf);
 * 2: system (ext4, read-only, shared by every board); 3: state (ext4: the board's own files,
 * the overlay above the system: /etc/deskbox, /var/lib/deskbox with the A/B slots); 4: inbox
 * (raw: where U-Boot's flash writes an image it received, for the boot program to check).
 */
export const SECTOR = 512;
const MIB = 1024 * 1024;

export interface Partition {
  name: 'boot' | 'system' | 'state' | 'inbox';
  /** Byte offset and size on the disk. */
  offset: number;
  size: number;
  /** MBR partition type: 0x83 Linux, 0xda raw data. */
  type: number;
  bootable: boolean;
}

export const DISK_LAYOUT: readonly Partition[] = [
  { name: 'boot', offset: 1 * MIB, size: 64 * MIB, type: 0x83, bootable: true },
  { name: 'system', offset: 65 * MIB, size: 512 * MIB, type: 0x83, bootable: false },
  { name: 'state', offset: 577 * MIB, size: 512 * MIB, type: 0x83, bootable: false },
  { name: 'inbox', offset: 1089 * MIB, size: 256 * MIB, type: 0xda, bootable: false },
];

export const DISK_SIZE = 1345 * MIB;

export function partition(name: Partition['name']): Partition {
  return DISK_LAYOUT.find((p) => p.name === name)!;
}

/** The first sector: no boot code (U-Boot reads the table itself), four entries, the 0x55aa signature. */
export function masterBootRecord(parts: readonly Partition[] = DISK_LAYOUT): Buffer {
  const mbr = Buffer.alloc(SECTOR);
  parts.forEach((p, i) => {
    const e = 446 + i * 16;
    mbr[e] = p.bootable ? 0x80 : 0x00;
    // CHS fields saying "use the LBA fields", as every partitioner writes beyond 8 GB.
    mbr.set([0xfe, 0xff, 0xff], e + 1);
    mbr[e + 4] = p.type;
    mbr.set([0xfe, 0xff, 0xff], e + 5);
    mbr.writeUInt32LE(p.offset / SECTOR, e + 8);
    mbr.writeUInt32LE(p.size / SECTOR, e + 12);
  });
  mbr.writeUInt16LE(0xaa55, 510);
  return mbr;
}
