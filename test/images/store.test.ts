/**
 * The board's image store on real files: install and resolve, dedupe by payload, garbage
 * collection that respects refs and running guests, crash leftovers, and every refusal
 * (tampered, untrusted, unsigned, wrong arch, board image) leaving the store as it was.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openImageStore, ImageStoreError, type ImageStore } from '../../board/images/store.ts';
import { memoryLogger } from '../../platform/log.ts';
import { ImageError } from '../../images/format/errors.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { fileSource, flipPayloadByte, guestImage, keyPair } from './store-support.ts';
import { tempDirs } from '../support/temp-dir.ts';

const temps = tempDirs();
test.after.each(() => temps.removeAll());

const desk = keyPair();
const FILES = { 'bin/hello': '#!/bin/sh\necho hello\n', 'etc/motd': 'hi\n' };

async function storeIn(dir: string, inUse?: (sha: string) => boolean): Promise<ImageStore> {
  return openImageStore({ dir: join(dir, 'store'), keys: [desk.publicKey], arch: 'x86_64', logger: memoryLogger(), inUse });
}

async function install(store: ImageStore, file: string) {
  const [source, o] = await fileSource(file);
  return store.install(source, { ...o, origin: 'install' });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  assert.instance(e, Error, 'expected a failure');
  return e as Error;
}

/** Everything in the store but its two folders: a refused image must change none of it. */
async function contents(dir: string): Promise<string[]> {
  const store = join(dir, 'store');
  return [...(await readdir(join(store, 'blobs'))).map((n) => `blobs/${n}`), ...(await readdir(join(store, 'refs'))).map((n) => `refs/${n}`)].sort();
}

test('install unpacks into a blob named by the payload, resolves, lists, survives a reopen', async () => {
  const dir = await temps.make('deskbox-store-');
  const img = await guestImage(join(dir, 'hello.dbi'), { name: 'hello', files: FILES, key: desk.privateKey });
  const store = await storeIn(dir);
  const got = await install(store, img.file);
  const sha = img.manifest.payload.sha256;
  assert.equal({ ...got, installedAt: 0 }, { name: 'hello', version: '1.0', arch: 'x86_64', sha256: sha, unpackedBytes: img.manifest.payload.unpackedBytes, origin: 'install', installedAt: 0, deduped: false });
  const rootfs = store.resolve('hello');
  assert.is(rootfs, join(dir, 'store', 'blobs', sha, 'rootfs'));
  assert.is(await readFile(join(rootfs!, 'etc/motd'), 'utf8'), 'hi\n');
  assert.equal(JSON.parse(await readFile(join(dir, 'store', 'blobs', sha, 'manifest.json'), 'utf8')), img.manifest);
  assert.is(store.resolve('nonesuch'), undefined);
  assert.equal(await contents(dir), [`blobs/${sha}`, 'refs/hello.json']);
  const again = await storeIn(dir);
  assert.equal(again.list(), store.list());
  assert.is(again.list()[0]!.sharedBy, 1);
});

test('two images with the same payload share one blob; rm keeps it until the last ref goes', async () => {
  const dir = await temps.make('deskbox-store-');
  const a = await guestImage(join(dir, 'a.dbi'), { name: 'alpha', files: FILES, key: desk.privateKey });
  const b = await guestImage(join(dir, 'b.dbi'), { name: 'beta', version: '2.0', files: FILES, key: desk.privateKey });
  const sha = a.manifest.payload.sha256;
  assert.is(b.manifest.payload.sha256, sha, 'same files, same payload');
  let running = false;
  const store = await storeIn(dir, (s) => running && s === sha);
  assert.is((await install(store, a.file)).deduped, false);
  assert.is((await install(store, b.file)).deduped, true);
  assert.equal(await contents(dir), [`blobs/${sha}`, 'refs/alpha.json', 'refs/beta.json']);
  assert.equal(store.list().map((i) => [i.name, i.sharedBy]), [['alpha', 2], ['beta', 2]]);
  assert.is(store.resolve('alpha'), store.resolve('beta'));

  running = true;
  assert.equal(await store.remove('alpha'), { name: 'alpha', sha256: sha, blobRemoved: false, freedBytes: 0 }, 'another ref still names the blob');
  const busy = await failure(store.remove('beta'));
  assert.ok(busy instanceof ImageStoreError && busy.code === 'in-use', busy.message);
  assert.ok(existsSync(store.resolve('beta')!));
  running = false;
  const removed = await store.remove('beta');
  assert.ok(removed.blobRemoved && removed.freedBytes === a.manifest.payload.unpackedBytes);
  assert.equal(await contents(dir), []);
  const missing = await failure(store.remove('beta'));
  assert.ok(missing instanceof ImageStoreError && missing.code === 'not-found');
});

test('gc keeps a blob while a ref or a running guest holds it, then removes it', async () => {
  const dir = await temps.make('deskbox-store-');
  const v1 = await guestImage(join(dir, 'v1.dbi'), { name: 'app', version: '1', files: FILES, key: desk.privateKey });
  const v2 = await guestImage(join(dir, 'v2.dbi'), { name: 'app', version: '2', files: { ...FILES, 'etc/motd': 'v2\n' }, key: desk.privateKey });
  const [old, neu] = [v1.manifest.payload.sha256, v2.manifest.payload.sha256];
  let running = new Set<string>();
  const store = await storeIn(dir, (s) => running.has(s));
  await install(store, v1.file);
  assert.equal(await store.gc(), { removed: [], freedBytes: 0, leftovers: 0 }, 'the ref holds it');
  // A guest still runs v1 when v2 replaces the ref: v1's blob must stay under it.
  running = new Set([old]);
  await install(store, v2.file);
  assert.is(store.resolve('app'), join(dir, 'store', 'blobs', neu, 'rootfs'));
  assert.equal((await store.gc()).removed, [], 'in use');
  assert.ok(existsSync(join(dir, 'store', 'blobs', old)));
  running = new Set();
  const collected = await store.gc();
  assert.equal(collected, { removed: [old], freedBytes: v1.manifest.payload.unpackedBytes, leftovers: 0 });
  assert.equal(await contents(dir), [`blobs/${neu}`, 'refs/app.json']);
});

test('open and gc clear what a crash left: half-unpacked blobs, half-written refs', async () => {
  const dir = await temps.make('deskbox-store-');
  const img = await guestImage(join(dir, 'hello.dbi'), { name: 'hello', files: FILES, key: desk.privateKey });
  await install(await storeIn(dir), img.file);
  const blobs = join(dir, 'store', 'blobs');
  await mkdir(join(blobs, '.tmp-0123456789abcdef', 'rootfs', 'bin'), { recursive: true });
  await writeFile(join(blobs, '.tmp-0123456789abcdef', 'rootfs', 'bin', 'half'), 'x');
  await writeFile(join(dir, 'store', 'refs', '.hello.json.abcdef.tmp'), '{"v":1,');
  const store = await storeIn(dir);
  assert.equal(await contents(dir), [`blobs/${img.manifest.payload.sha256}`, 'refs/hello.json']);
  assert.ok(store.resolve('hello'));
  await mkdir(join(blobs, '.tmp-fedcba9876543210'));
  assert.equal(await store.gc(), { removed: [], freedBytes: 0, leftovers: 1 });
});

test('refused images leave no blob, ref or temporary folder, and say which check failed', async () => {
  const dir = await temps.make('deskbox-store-');
  const other = keyPair();
  const store = await storeIn(dir);
  const cases: [string, () => Promise<string>, string, RegExp][] = [
    ['tampered payload', async () => {
      const img = await guestImage(join(dir, 'tampered.dbi'), { name: 'tampered', files: { 'big.bin': 'x'.repeat(200_000) }, key: desk.privateKey });
      await flipPayloadByte(img.file, img.manifest.payload.size);
      return img.file;
    }, 'blocks', /block \d+/],
    ['untrusted key', async () => (await guestImage(join(dir, 'other.dbi'), { name: 'other', files: FILES, key: other.privateKey })).file, 'signature', /not trusted/],
    ['unsigned', async () => (await guestImage(join(dir, 'unsigned.dbi'), { name: 'unsigned', files: FILES })).file, 'signature', /unsigned/],
    ['wrong arch', async () => (await guestImage(join(dir, 'arm.dbi'), { name: 'arm', files: FILES, arch: 'arm64', key: desk.privateKey })).file, 'board', /for arm64, this board runs x86_64/],
    ['board image', async () => {
      const guest = await guestImage(join(dir, 'g.dbi'), { name: 'g', files: FILES, key: desk.privateKey });
      await writeFile(join(dir, 'agent.mjs'), 'console.log("agent")\n');
      const out = join(dir, 'board.dbi');
      await buildBoardImage({ out, agent: join(dir, 'agent.mjs'), agentVersion: '0.0.1', guests: [guest.file], type: 'sim', name: 'sim-board', version: '1', arch: 'x86_64', key: desk.privateKey });
      return out;
    }, 'board', /board image cannot be installed as a guest image/],
  ];
  for (const [label, make, check, detail] of cases) {
    const e = await failure(install(store, await make()));
    assert.ok(e instanceof ImageError, `${label}: ${e.message}`);
    assert.is(e.check, check, `${label}: ${e.message}`);
    assert.match(e.message, detail, label);
    assert.equal(await contents(dir), [], `${label} left nothing`);
  }
  const unkeyed = await openImageStore({ dir: join(dir, 'store2'), keys: [], arch: 'x86_64', logger: memoryLogger() });
  const e = await failure(install(unkeyed, join(dir, 'other.dbi')));
  assert.ok(e instanceof ImageStoreError && e.code === 'no-keys' && /no trusted keys configured/.test(e.message), e.message);
});

test('concurrent installs of one payload unpack it once', async () => {
  const dir = await temps.make('deskbox-store-');
  const a = await guestImage(join(dir, 'a.dbi'), { name: 'alpha', files: { ...FILES, 'big.bin': 'y'.repeat(500_000) }, key: desk.privateKey });
  const b = await guestImage(join(dir, 'b.dbi'), { name: 'beta', files: { ...FILES, 'big.bin': 'y'.repeat(500_000) }, key: desk.privateKey });
  const store = await storeIn(dir);
  const got = await Promise.all([install(store, a.file), install(store, b.file), install(store, a.file)]);
  assert.is(got.filter((g) => !g.deduped).length, 1, 'whichever came first unpacked, the others only added refs');
  const sha = a.manifest.payload.sha256;
  assert.equal(await contents(dir), [`blobs/${sha}`, 'refs/alpha.json', 'refs/beta.json']);
  assert.is((await readFile(join(store.resolve('beta')!, 'big.bin'))).length, 500_000);
});

test.run();
