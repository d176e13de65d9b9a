/**
 * Guest images from a busybox for another CPU: an armhf busybox packed on this x86_64 machine
 * (which cannot run it), checked against what the binary itself lists under qemu-user; the
 * host's busybox packed as before; damaged files refused with a message saying what is wrong;
 * and the same through the built CLI.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import tar from 'tar-stream';
import { memoryLogger } from '../../platform/log.ts';
import { buildGuestImage } from '../../images/build-guest.ts';
import { ImageBuildError } from '../../images/busybox-rootfs.ts';
import { HEADER_SIZE } from '../../images/format/header.ts';
import type { Manifest } from '../../images/format/manifest.ts';
import { armhfCacheDir, openArmhfCache } from '../../images/toolchain/armhf.ts';
import { tempDirs } from '../support/temp-dir.ts';
import { runDeskbox } from '../support/deskbox.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const HOST_BUSYBOX = '/bin/busybox';
const temps = tempDirs();
const tempDir = () => temps.make('deskbox-busybox-cross-');
test.after(() => temps.removeAll());

/** The armhf cache, or a failure saying how to get it: the test must not pass by skipping. */
function armhf() {
  const cache = openArmhfCache(armhfCacheDir(root));
  assert.ok(existsSync(cache.busybox), `no ${cache.busybox}: run scripts/fetch-armhf.sh`);
  return cache;
}

/** What a busybox lists about itself, without itself (the image holds that one as the binary). */
function listed(command: string[]): string[] {
  const [program, ...args] = command;
  return execFileSync(program!, args, { encoding: 'utf8' }).split('\n').filter((n) => n !== '' && n !== 'busybox');
}

interface Entry { name: string; type: string; linkname?: string }

/** The manifest and archive entries of a .dbi file, read straight from its bytes. */
async function openDbi(file: string): Promise<{ manifest: Manifest; entries: Entry[]; payload: Buffer }> {
  const bytes = await readFile(file);
  const m = bytes.readUInt32BE(12);
  const s = bytes.readUInt32BE(16);
  const payload = bytes.subarray(HEADER_SIZE + m + s);
  const entries: Entry[] = [];
  for await (const e of Readable.from([payload]).pipe(tar.extract())) {
    entries.push({ name: e.header.name, type: e.header.type ?? '', linkname: e.header.linkname ?? undefined });
    e.resume();
  }
  return { manifest: JSON.parse(bytes.subarray(HEADER_SIZE, HEADER_SIZE + m).toString()) as Manifest, entries, payload };
}

/** bin/busybox as a file, and every other bin entry a link to it, by name. */
function binLinks(entries: Entry[]): string[] {
  const bin = entries.filter((e) => e.name.startsWith('bin/') && e.type !== 'directory');
  assert.equal(bin.filter((e) => e.type !== 'symlink').map((e) => [e.name, e.type]), [['bin/busybox', 'file']]);
  for (const e of bin.filter((x) => x.type === 'symlink')) assert.is(e.linkname, 'busybox', e.name);
  return bin.filter((e) => e.type === 'symlink').map((e) => e.name.slice('bin/'.length)).sort();
}

async function refusal(busybox: string, out: string, version?: string): Promise<Error> {
  const e = await buildGuestImage({ out, busybox, version, logger: memoryLogger() }).catch((x: unknown) => x);
  assert.instance(e, Error, `${busybox} was packed`);
  return e as Error;
}

test('an armhf busybox packs on x86_64: armv7, every applet it lists under qemu, its version', async () => {
  const cache = armhf();
  const dir = await tempDir();
  const out = join(dir, 'armhf.dbi');
  const built = await buildGuestImage({ out, busybox: cache.busybox, logger: memoryLogger() });
  assert.equal([built.manifest.kind, built.manifest.name, built.manifest.version, built.manifest.arch], ['guest', 'busybox', '1.35.0', 'armv7']);

  const { manifest, entries } = await openDbi(out);
  assert.equal(manifest, built.manifest);
  const reference = listed(cache.emulate(cache.busybox, ['--list']));
  assert.ok(reference.length > 200, `qemu --list gave ${reference.length} applets`);
  assert.equal(binLinks(entries), [...reference].sort());
  assert.equal(await readdir(dir), ['armhf.dbi'], 'no scratch folder left');
});

test('the host busybox packs as before: x86_64, the applets of its --list, its version', async () => {
  assert.ok(existsSync(HOST_BUSYBOX), `this test needs a static ${HOST_BUSYBOX} (Debian: busybox-static)`);
  const out = join(await tempDir(), 'host.dbi');
  const built = await buildGuestImage({ out, busybox: HOST_BUSYBOX, logger: memoryLogger() });
  const banner = /BusyBox v(\d+(?:\.\d+)+)/.exec(execFileSync(HOST_BUSYBOX, ['--help'], { encoding: 'utf8' }))?.[1];
  assert.equal([built.manifest.arch, built.manifest.version], ['x86_64', banner]);
  assert.equal(binLinks((await openDbi(out)).entries), listed([HOST_BUSYBOX, '--list']).sort());
});

test('a truncated or garbled busybox is refused with a message saying what is wrong', async () => {
  const cache = armhf();
  const dir = await tempDir();
  const good = await readFile(cache.busybox);
  const table = good.indexOf('[\0[[\0acpid\0');
  assert.ok(table > 0, 'the armhf busybox has its applet table');
  const at = (name: string) => good.indexOf(`\0${name}\0`, table) + 1;
  const variant = async (name: string, bytes: Buffer) => { const p = join(dir, name); await writeFile(p, bytes, { mode: 0o755 }); return p; };
  const patched = (offset: number, text: string) => { const b = Buffer.from(good); b.write(text, offset, 'latin1'); return b; };

  const cases: Array<[string, Buffer, RegExp]> = [
    ['cut-before-table', good.subarray(0, 256 * 1024), /no busybox applet table .*complete busybox binary/],
    ['cut-in-table', good.subarray(0, table + 100), /runs to the end of the file/],
    ['unsorted', patched(at('acpid'), 'zzzzz'), /"adjtimex" follows "zzzzz": not sorted/],
    ['bad-name', patched(at('arp'), 'a/p'), /entry \d+ "a\/p" is not an applet name/],
    ['not-elf', Buffer.from('#!/bin/sh\necho busybox\n'), /not an ELF file/],
  ];
  for (const [name, bytes, message] of cases) {
    const out = join(dir, `${name}.dbi`);
    const e = await refusal(await variant(name, bytes), out);
    assert.instance(e, ImageBuildError, name);
    assert.match(e.message, message, name);
    assert.not.ok(existsSync(out), `${name}: no image written`);
  }
  // The host's own busybox damaged the same way fails before it is ever run.
  const host = await readFile(HOST_BUSYBOX);
  const hostTable = host.indexOf('[\0[[\0acpid\0');
  const garbledHost = Buffer.from(host);
  garbledHost.write('zzzzz', hostTable + 5, 'latin1');
  assert.match((await refusal(await variant('host-unsorted', garbledHost), join(dir, 'h.dbi'))).message, /not sorted/);

  // No banner: the version must be given, and then it builds.
  const noBanner = Buffer.from(good.toString('latin1').replaceAll('BusyBox v', 'BusyBux v'), 'latin1');
  const unnamed = await variant('no-banner', noBanner);
  assert.match((await refusal(unnamed, join(dir, 'nb.dbi'))).message, /names no "BusyBox v<version>"; give the image a --version/);
  const named = await buildGuestImage({ out: join(dir, 'nb.dbi'), busybox: unnamed, version: '1.35.0-local', logger: memoryLogger() });
  assert.is(named.manifest.version, '1.35.0-local');
  assert.equal((await readdir(dir)).filter((f) => f.startsWith('.')), [], 'no scratch folder left');
});

test('CLI: image build guest --busybox <armhf> then image inspect', async () => {
  const cache = armhf();
  assert.ok(existsSync(join(root, 'dist/deskbox.mjs')), 'run `npm run build` first');
  const dir = await tempDir();
  // Rejects like execFile: with the exit code and output.
  const deskbox = async (...args: string[]) => {
    const r = await runDeskbox(args, { timeoutMs: 60_000 });
    if (r.code !== 0) throw r;
    return r;
  };
  const file = join(dir, 'g.dbi');
  const built = JSON.parse((await deskbox('image', 'build', 'guest', '--busybox', cache.busybox, '-o', file, '--unsigned', '--json')).stdout);
  assert.equal([built.ok, built.manifest.arch, built.manifest.version], [true, 'armv7', '1.35.0']);

  const verdict = JSON.parse((await deskbox('image', 'inspect', file, '--json')).stdout);
  assert.is(verdict.ok, true, JSON.stringify(verdict.error));
  assert.equal([verdict.manifest.kind, verdict.manifest.name, verdict.manifest.arch], ['guest', 'busybox', 'armv7']);
  // The payload has no times or owners in it, so the CLI packs exactly what the library does.
  const library = await buildGuestImage({ out: join(dir, 'lib.dbi'), busybox: cache.busybox, logger: memoryLogger() });
  assert.is(verdict.manifest.payload.sha256, library.manifest.payload.sha256);

  const cut = join(dir, 'cut');
  await writeFile(cut, (await readFile(cache.busybox)).subarray(0, 256 * 1024));
  const refused = await deskbox('image', 'build', 'guest', '--busybox', cut, '-o', join(dir, 'cut.dbi'), '--unsigned').catch((e: { code?: number; stderr?: string }) => e);
  assert.is((refused as { code?: number }).code, 1);
  assert.match((refused as { stderr: string }).stderr, /no busybox applet table/);
  assert.not.ok(existsSync(join(dir, 'cut.dbi')));
});

test.run();
