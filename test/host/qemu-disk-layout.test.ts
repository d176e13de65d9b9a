/**
 * The QEMU board's disk layout (host/qemu/disk-layout.ts): its partition table as U-Boot and
 * Linux read it, and the `qemu-board` U-Boot profile writing exactly into the inbox partition.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DISK_LAYOUT, DISK_SIZE, SECTOR, masterBootRecord, partition } from '../../host/qemu/disk-layout.ts';
import { BUILTIN_PROFILES } from '../../host/flash/uboot-profile.ts';

test('the MBR names the four partitions, in order, without overlap, inside the disk; only boot is bootable', () => {
  const mbr = masterBootRecord();
  assert.is(mbr.length, 512);
  assert.is(mbr.readUInt16LE(510), 0xaa55);
  let end = 0;
  DISK_LAYOUT.forEach((p, i) => {
    const e = 446 + i * 16;
    assert.is(mbr[e], p.name === 'boot' ? 0x80 : 0);
    assert.is(mbr[e + 4], p.type);
    assert.is(mbr.readUInt32LE(e + 8) * SECTOR, p.offset);
    assert.is(mbr.readUInt32LE(e + 12) * SECTOR, p.size);
    assert.ok(p.offset >= end && p.offset % (1024 * 1024) === 0, `${p.name} aligned, after the one before`);
    end = p.offset + p.size;
  });
  assert.ok(end <= DISK_SIZE);
});

test('qemu-board: U-Boot writes whole blocks from the inbox\'s first block, and nothing larger than the inbox loads', () => {
  const p = BUILTIN_PROFILES['qemu-board']!;
  const inbox = partition('inbox');
  const write = p.write.find((w) => w.startsWith('virtio write'))!;
  assert.is(write, `virtio write \${loadaddr} ${(inbox.offset / SECTOR).toString(16)} \${blocks}`);
  assert.is(Number(p.ram.start) + Number(p.ram.size) - Number(p.loadAddr), inbox.size);
  assert.match('virtio write: device 0 block # 2230272, count 2 ... 2 blocks written: OK', new RegExp(p.writeOk));
});

test.run();
