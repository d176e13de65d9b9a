/**
 * Guest images carried by the board image in the active slot go into the store at boot:
 * each one the store lacks, deduped against blobs it has, one bad carried image not stopping
 * the others, and no walk through the slot at all once everything is in.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstat, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installCarriedImages } from '../../board/images/carried.ts';
import { openImageStore } from '../../board/images/store.ts';
import { memoryLogger } from '../../platform/log.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { ImageError } from '../../images/format/errors.ts';
import { fileSource, flipPayloadByte, guestImage, keyPair } from './store-support.ts';
import { tempDirs } from '../support/temp-dir.ts';

const temps = tempDirs();
test.after.each(() => temps.removeAll());

const desk = keyPair();

async function boardImage(dir: string, guests: string[], key = desk.privateKey) {
  await writeFile(join(dir, 'agent.mjs'), 'console.log("agent")\n');
  const out = join(dir, 'slot-a.dbi');
  return buildBoardImage({ out, agent: join(dir, 'agent.mjs'), agentVersion: '0.0.1', guests, type: 'sim', name: 'sim-board', version: '1', arch: 'x86_64', key });
}

test('installs each carried guest the store lacks; nothing to do reads no payload', async () => {
  const dir = await temps.make('deskbox-store-');
  const hello = await guestImage(join(dir, 'hello.dbi'), { name: 'hello', files: { 'etc/motd': 'hello\n' }, key: desk.privateKey });
  const tools = await guestImage(join(dir, 'tools.dbi'), { name: 'tools', files: { 'bin/tool': 'tool\n' }, key: desk.privateKey });
  const slot = await boardImage(dir, [hello.file, tools.file]);
  const logger = memoryLogger();
  const store = await openImageStore({ dir: join(dir, 'store'), keys: [desk.publicKey], arch: 'x86_64', logger });

  const first = await installCarriedImages(store, slot.file, [desk.publicKey], logger);
  assert.equal(first.map((i) => [i.name, i.origin, i.deduped]), [['hello', 'board-image', false], ['tools', 'board-image', false]]);
  assert.equal(store.list().map((i) => [i.name, i.sha256]), [['hello', hello.manifest.payload.sha256], ['tools', tools.manifest.payload.sha256]]);

  // A payload no one may read any more: a walk would fail on it, a skip never notices.
  await flipPayloadByte(slot.file, slot.manifest.payload.size);
  assert.equal(await installCarriedImages(store, slot.file, [desk.publicKey], logger), []);
  const fresh = await openImageStore({ dir: join(dir, 'store2'), keys: [desk.publicKey], arch: 'x86_64', logger });
  const walked = await installCarriedImages(fresh, slot.file, [desk.publicKey], logger).then(() => undefined, (e: unknown) => e);
  assert.ok(walked instanceof ImageError && walked.check === 'blocks', `a walk would have failed: ${String(walked)}`);
});

test('a carried guest whose payload is already a blob only gets its ref, and the walk goes on', async () => {
  const dir = await temps.make('deskbox-store-');
  const files = { 'etc/motd': 'same\n' };
  const alpha = await guestImage(join(dir, 'alpha.dbi'), { name: 'alpha', files, key: desk.privateKey });
  const beta = await guestImage(join(dir, 'beta.dbi'), { name: 'beta', files, key: desk.privateKey });
  const gamma = await guestImage(join(dir, 'gamma.dbi'), { name: 'gamma', files: { 'etc/motd': 'gamma\n' }, key: desk.privateKey });
  const slot = await boardImage(dir, [alpha.file, beta.file, gamma.file]);
  const logger = memoryLogger();
  const store = await openImageStore({ dir: join(dir, 'store'), keys: [desk.publicKey], arch: 'x86_64', logger });
  const [source, o] = await fileSource(alpha.file);
  await store.install(source, { ...o, origin: 'install' });

  const got = await installCarriedImages(store, slot.file, [desk.publicKey], logger);
  assert.equal(got.map((i) => [i.name, i.deduped]), [['beta', true], ['gamma', false]], 'alpha was there already; beta shares its blob');
  assert.equal(store.list().map((i) => [i.name, i.origin, i.sharedBy]), [['alpha', 'install', 2], ['beta', 'board-image', 2], ['gamma', 'board-image', 1]]);
});

test('a shared copy (images.sharedBlobsDir) is linked, not unpacked; what it lacks or does not match is walked', async () => {
  const dir = await temps.make('deskbox-store-');
  const hello = await guestImage(join(dir, 'hello.dbi'), { name: 'hello', files: { 'etc/motd': 'hello\n' }, key: desk.privateKey });
  const tools = await guestImage(join(dir, 'tools.dbi'), { name: 'tools', files: { 'bin/tool': 'tool\n' }, key: desk.privateKey });
  const logger = memoryLogger();
  // The desk's copy holds only hello, unpacked by the same code from a slot carrying it alone.
  const sharedStore = await openImageStore({ dir: join(dir, 'shared'), keys: [desk.publicKey], arch: 'x86_64', logger });
  await installCarriedImages(sharedStore, (await boardImage(await temps.make('deskbox-slot-'), [hello.file])).file, [desk.publicKey], logger);
  const shared = join(dir, 'shared', 'blobs');
  const helloSha = hello.manifest.payload.sha256;
  const slot = await boardImage(dir, [hello.file, tools.file]);

  const store = await openImageStore({ dir: join(dir, 'store'), keys: [desk.publicKey], arch: 'x86_64', logger });
  const got = await installCarriedImages(store, slot.file, [desk.publicKey], logger, shared);
  assert.equal(got.map((i) => [i.name, i.origin]), [['hello', 'board-image'], ['tools', 'board-image']]);
  const blob = join(dir, 'store', 'blobs', helloSha);
  assert.ok((await lstat(blob)).isSymbolicLink(), 'hello is a link to the shared copy');
  assert.is(await readlink(blob), join(shared, helloSha));
  assert.ok(!(await lstat(join(dir, 'store', 'blobs', tools.manifest.payload.sha256))).isSymbolicLink(), 'tools was unpacked from the slot');
  assert.is(await readFile(join(store.resolve('hello')!, 'etc/motd'), 'utf8'), 'hello\n');
  assert.equal(store.list().find((i) => i.name === 'hello')?.unpackedBytes, hello.manifest.payload.unpackedBytes);

  // Removing it frees nothing here and leaves the shared copy to the other boards.
  const removed = await store.remove('hello');
  assert.equal([removed.blobRemoved, removed.freedBytes], [true, 0]);
  assert.is(await readFile(join(shared, helloSha, 'rootfs', 'etc/motd'), 'utf8'), 'hello\n');

  // A shared copy that is not that image (here: its rootfs gone) is not linked; the slot is walked.
  await rm(join(shared, helloSha, 'rootfs'), { recursive: true });
  const other = await openImageStore({ dir: join(dir, 'store2'), keys: [desk.publicKey], arch: 'x86_64', logger });
  await installCarriedImages(other, slot.file, [desk.publicKey], logger, shared);
  assert.ok(!(await lstat(join(dir, 'store2', 'blobs', helloSha))).isSymbolicLink());
  assert.is(await readFile(join(other.resolve('hello')!, 'etc/motd'), 'utf8'), 'hello\n');
});

test('a carried guest this board does not trust is skipped and logged; the others install', async () => {
  const dir = await temps.make('deskbox-store-');
  const stranger = keyPair();
  const theirs = await guestImage(join(dir, 'theirs.dbi'), { name: 'theirs', files: { 'a': 'a' }, key: stranger.privateKey });
  const ours = await guestImage(join(dir, 'ours.dbi'), { name: 'ours', files: { 'b': 'b' }, key: desk.privateKey });
  const slot = await boardImage(dir, [ours.file, theirs.file]);
  const logger = memoryLogger();
  const store = await openImageStore({ dir: join(dir, 'store'), keys: [desk.publicKey], arch: 'x86_64', logger });
  const got = await installCarriedImages(store, slot.file, [desk.publicKey], logger);
  assert.equal(got.map((i) => i.name), ['ours']);
  const warned = logger.records.find((r) => r.msg === 'carried guest image not installed');
  assert.match(String(warned?.fields?.error), /theirs\.dbi: signature: signed by key/);
});

test('a slot that is not a trusted board image is refused as a whole', async () => {
  const dir = await temps.make('deskbox-store-');
  const stranger = keyPair();
  const guest = await guestImage(join(dir, 'g.dbi'), { name: 'g', files: { 'a': 'a' }, key: desk.privateKey });
  const logger = memoryLogger();
  const store = await openImageStore({ dir: join(dir, 'store'), keys: [desk.publicKey], arch: 'x86_64', logger });
  const notBoard = await installCarriedImages(store, guest.file, [desk.publicKey], logger).then(() => undefined, (e: unknown) => e);
  assert.ok(notBoard instanceof ImageError && notBoard.check === 'board', String(notBoard));
  const slot = await boardImage(dir, [guest.file], stranger.privateKey);
  const untrusted = await installCarriedImages(store, slot.file, [desk.publicKey], logger).then(() => undefined, (e: unknown) => e);
  assert.ok(untrusted instanceof ImageError && untrusted.check === 'signature', String(untrusted));
  assert.equal(store.list(), []);
});

test.run();
