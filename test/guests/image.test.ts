import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, readlink, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryLogger } from '../../platform/log.ts';
import { buildBusyboxRootfs, defaultBusyboxPath, ImageBuildError } from '../../images/busybox-rootfs.ts';
import { ElfError, readElf } from '../../images/elf.ts';
import { tempDirs } from '../support/temp-dir.ts';

const busybox = defaultBusyboxPath();
const temps = tempDirs();
const tempDir = () => temps.make('deskbox-image-');
test.after(() => temps.removeAll());

/** A minimal little-endian ELF: header plus one PT_LOAD and, optionally, a PT_INTERP. */
function fakeElf(bits: 32 | 64, interpreter?: string): Buffer {
  const eh = bits === 32 ? 52 : 64;
  const phent = bits === 32 ? 32 : 56;
  const phnum = interpreter ? 2 : 1;
  const interpAt = eh + phnum * phent;
  const b = Buffer.alloc(interpAt + (interpreter ? interpreter.length + 1 : 0));
  b.write('\x7fELF', 0, 'latin1');
  b[4] = bits === 32 ? 1 : 2;
  b[5] = 1;
  b[6] = 1;
  b.writeUInt16LE(2, 16);
  b.writeUInt16LE(bits === 32 ? 40 : 183, 18);
  if (bits === 32) b.writeUInt32LE(eh, 28); else b.writeBigUInt64LE(BigInt(eh), 32);
  b.writeUInt16LE(phent, bits === 32 ? 42 : 54);
  b.writeUInt16LE(phnum, bits === 32 ? 44 : 56);
  b.writeUInt32LE(1, eh); // PT_LOAD
  if (interpreter) {
    const ph = eh + phent;
    b.writeUInt32LE(3, ph); // PT_INTERP
    if (bits === 32) { b.writeUInt32LE(interpAt, ph + 4); b.writeUInt32LE(interpreter.length + 1, ph + 16); }
    else { b.writeBigUInt64LE(BigInt(interpAt), ph + 8); b.writeBigUInt64LE(BigInt(interpreter.length + 1), ph + 32); }
    b.write(interpreter, interpAt, 'latin1');
  }
  return b;
}

test('readElf: static and dynamic, 32- and 64-bit', async () => {
  const dir = await tempDir();
  for (const bits of [32, 64] as const) {
    await writeFile(join(dir, `s${bits}`), fakeElf(bits));
    await writeFile(join(dir, `d${bits}`), fakeElf(bits, '/lib/ld-linux.so.3'));
    assert.equal(await readElf(join(dir, `s${bits}`)), { bits, machine: bits === 32 ? 40 : 183 });
    assert.is((await readElf(join(dir, `d${bits}`))).interpreter, '/lib/ld-linux.so.3');
  }
  assert.is((await readElf(process.execPath)).interpreter?.includes('ld-linux'), true);
  if (busybox) assert.is((await readElf(busybox)).interpreter, undefined);
});

test('readElf: refuses what is not a little-endian ELF', async () => {
  const dir = await tempDir();
  const big = fakeElf(64);
  big[5] = 2;
  await writeFile(join(dir, 'big'), big);
  await writeFile(join(dir, 'script'), '#!/bin/sh\necho hi\n');
  await writeFile(join(dir, 'short'), fakeElf(32).subarray(0, 40));
  for (const [name, msg] of [['big', /big-endian/], ['script', /bad magic/], ['short', /truncated/]] as const) {
    const e = await readElf(join(dir, name)).catch((x: unknown) => x);
    assert.instance(e, ElfError, name);
    assert.match((e as Error).message, msg);
  }
});

test('builds a busybox rootfs whose applets run, appearing at dest only when complete', async () => {
  assert.ok(busybox, 'no busybox on this host (apt-get install busybox-static)');
  const parent = await tempDir();
  const dest = join(parent, 'busybox');
  // The list names busybox itself too; that one is the binary, not a link.
  const expected = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).trim().split('\n').filter((a) => a !== 'busybox').length;
  // Look at dest between every step of the build: it is either absent or complete.
  const partial: number[] = [];
  let done = false;
  const watch = () => {
    if (existsSync(dest)) {
      const n = existsSync(join(dest, 'bin')) ? readdirSync(join(dest, 'bin')).length : -1;
      if (n !== expected + 1 || !existsSync(join(dest, 'root'))) partial.push(n);
    }
    if (!done) setImmediate(watch);
  };
  watch();
  const logger = memoryLogger();
  const built = await buildBusyboxRootfs({ busybox, dest, logger }).finally(() => { done = true; });
  assert.equal(partial, []);
  assert.is(built.dir, dest);
  assert.is(built.applets, expected);
  assert.ok(built.bytes >= (await stat(busybox)).size);
  assert.equal(await readdir(parent), ['busybox'], 'no temporary sibling left');

  assert.is(execFileSync(join(dest, 'bin/sh'), ['-c', 'echo ok'], { encoding: 'utf8' }), 'ok\n');
  assert.is(await readlink(join(dest, 'bin/sh')), 'busybox');
  assert.match(await readFile(join(dest, 'etc/passwd'), 'utf8'), /^root:x:0:0:.*\nnobody:x:65534:65534:/);
  assert.match(await readFile(join(dest, 'etc/group'), 'utf8'), /^root:x:0:\nnobody:x:65534:/);
  assert.ok(existsSync(join(dest, 'etc/hostname')));
  for (const d of ['proc', 'dev', 'sys', 'run', 'root']) assert.ok((await stat(join(dest, d))).isDirectory(), d);
  for (const d of ['tmp', 'var/tmp']) assert.is((await stat(join(dest, d))).mode & 0o7777, 0o1777, d);
  assert.ok(logger.records.some((r) => r.msg === 'image built'));

  const again = await buildBusyboxRootfs({ busybox, dest, logger }).catch((e: unknown) => e);
  assert.instance(again, ImageBuildError);
  assert.match((again as Error).message, /exists/);
});

test('refuses a dynamically linked busybox and leaves nothing behind', async () => {
  const parent = await tempDir();
  const fakeArm = join(parent, 'busybox-armhf');
  await writeFile(fakeArm, fakeElf(32, '/lib/ld-linux-armhf.so.3'), { mode: 0o755 });
  for (const candidate of ['/bin/ls', fakeArm]) {
    const dest = join(parent, 'img');
    const e = await buildBusyboxRootfs({ busybox: candidate, dest, logger: memoryLogger() }).catch((x: unknown) => x);
    assert.instance(e, ImageBuildError, candidate);
    assert.match((e as Error).message, /dynamically linked \(interpreter \/lib.*ld-linux.*\).*static busybox/);
  }
  assert.equal(await readdir(parent), ['busybox-armhf']);
});

test.run();
