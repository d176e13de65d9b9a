/**
 * U-Boot profiles declare their RAM: a load address outside it is refused when the profile is
 * loaded, an image that would run past its end when a flash starts, before a byte is sent.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILTIN_PROFILES, loadUbootProfile, parseUbootProfile, promptPattern } from '../../host/flash/uboot-profile.ts';
import { checkImageFits, ramWindow, UbootProfileError } from '../../host/flash/uboot-ram.ts';
import { tempDir } from '../support/temp-dir.ts';

const MiB = 1024 * 1024;
const overo = { name: 'overo', ram: { start: '0x80000000', size: '0x20000000' }, loadAddr: '0x82000000', write: ['nand write ${loadaddr} slot-b ${filesize}'], writeOk: 'written: OK' };

function refused(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UbootProfileError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`accepted, expected ${re}`);
}

test('built-in profiles: sim offers what the simulated U-Boot loads, qemu-arm the virt machine\'s RAM', () => {
  const sim = BUILTIN_PROFILES.sim!;
  assert.equal(ramWindow(sim), { start: 0x82000000, end: 0x82000000 + 256 * MiB });
  checkImageFits(sim, 256 * MiB);
  refused(() => checkImageFits(sim, 256 * MiB + 1), /does not fit between loadAddr 0x82000000 and the end of RAM 0x92000000/);
  const qemu = BUILTIN_PROFILES['qemu-arm']!;
  assert.equal(ramWindow(qemu), { start: 0x40000000, end: 0x50000000 });
  assert.is(qemu.loadAddr, '0x40200000');
  assert.equal(qemu.write, ['crc32 ${loadaddr} ${filesize}']);
  checkImageFits(qemu, 254 * MiB);
  refused(() => checkImageFits(qemu, 254 * MiB + 1), /room for 266338304 bytes/);
});

test('a load address outside the declared RAM is refused, at the edges too', () => {
  assert.is(parseUbootProfile(overo, 'overo').loadAddr, '0x82000000');
  parseUbootProfile({ ...overo, loadAddr: '0x80000000' }, 'x');
  parseUbootProfile({ ...overo, loadAddr: '0x9fffffff' }, 'x');
  refused(() => parseUbootProfile({ ...overo, loadAddr: '0xa0000000' }, 'x'), /loadAddr 0xa0000000 lies outside its RAM 0x80000000\.\.0x9fffffff \(512 MiB\)/);
  refused(() => parseUbootProfile({ ...overo, loadAddr: '0x7fffffff' }, 'x'), /outside its RAM/);
  // The qemu_arm U-Boot's RAM with the old default address: the mistake this check exists for.
  refused(() => parseUbootProfile({ ...overo, ram: { start: '0x40000000', size: '0x10000000' } }, 'qemu.json'), /U-Boot profile "qemu\.json": loadAddr 0x82000000 lies outside its RAM 0x40000000\.\.0x4fffffff \(256 MiB\)/);
});

test('RAM and load address must be given, as hex addresses; a zero-sized RAM is refused', () => {
  const { ram: _ram, ...noRam } = overo;
  refused(() => parseUbootProfile(noRam, 'x'), /ram/);
  const { loadAddr: _load, ...noLoad } = overo;
  refused(() => parseUbootProfile(noLoad, 'x'), /loadAddr/);
  refused(() => parseUbootProfile({ ...overo, loadAddr: '2181038080' }, 'x'), /loadAddr: must be a hex address/);
  refused(() => parseUbootProfile({ ...overo, ram: { start: '0x80000000', size: '512M' } }, 'x'), /ram\.size: must be a hex address/);
  refused(() => parseUbootProfile({ ...overo, ram: { start: '0x80000000', size: '0x0' } }, 'x'), /ram\.size 0x0 must be more than 0/);
});

test('loadUbootProfile: a built-in by name, a file checked as it loads', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-uboot-profile-');
  try {
    assert.is(await loadUbootProfile('qemu-arm'), BUILTIN_PROFILES['qemu-arm']);
    const good = join(dir, 'overo.json');
    await writeFile(good, JSON.stringify(overo));
    assert.is((await loadUbootProfile(good)).prompt, '=> ');
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ ...overo, loadAddr: '0x40200000' }));
    await loadUbootProfile(bad).then(() => assert.unreachable('accepted'), (e: Error) => assert.match(e.message, new RegExp(`"${bad}": loadAddr 0x40200000 lies outside`)));
    await loadUbootProfile(join(dir, 'none.json')).then(() => assert.unreachable('accepted'), (e: Error) => assert.match(e.message, /not a built-in profile \(sim, qemu-arm, qemu-board\) nor a readable JSON file/));
  } finally {
    await removeDir();
  }
});

test('the prompt counts at a line start only, not inside crc32\'s "==> "', () => {
  const prompt = promptPattern(BUILTIN_PROFILES['qemu-arm']!);
  assert.not.ok(prompt.test('crc32 for 40200000 ... 40219496 ==> ec056074'));
  assert.ok(prompt.test('crc32 for 40200000 ... 40219496 ==> ec056074\r\n=> '));
  assert.ok(prompt.test('=> '));
});

test.run();
