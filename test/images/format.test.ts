/**
 * The .dbi format end to end without the CLI: build a signed guest image and a board image
 * carrying it, then damage them every way docs/images.md names and check that each damage
 * is refused by the check the spec says, with a message that says what is wrong.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrivateKey, createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import tar from 'tar-stream';
import { memoryLogger } from '../../platform/log.ts';
import { buildGuestImage } from '../../images/build-guest.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { verifyImageFile, type Verdict } from '../../images/verify-file.ts';
import { writeImage } from '../../images/write-image.ts';
import { BlockHasher } from '../../images/format/block-hasher.ts';
import { encodeHeader, HEADER_SIZE } from '../../images/format/header.ts';
import { BLOCK_SIZE, type Manifest } from '../../images/format/manifest.ts';
import { generateKeys, signManifest, type PrivateKey, type PublicKey } from '../../images/format/keys.ts';
import type { ImageCheck } from '../../images/format/errors.ts';
import { tempDir, type TempDir } from '../support/temp-dir.ts';

interface Fixture { dir: string; key: PrivateKey; pub: PublicKey; guest: Buffer; board: Buffer; guestFile: string; rootfs: string }
const fx = {} as Fixture;
let cases = 0;

function newKey(): { key: PrivateKey; pub: PublicKey } {
  const { privatePem, publicKey } = generateKeys();
  return { key: { id: publicKey.id, key: createPrivateKey(privatePem) }, pub: publicKey };
}

/** The parts of an image file, found through its header. */
function split(file: Buffer) {
  const m = file.readUInt32BE(12);
  const s = file.readUInt32BE(16);
  return {
    manifest: JSON.parse(file.subarray(HEADER_SIZE, HEADER_SIZE + m).toString()) as Manifest,
    manifestStart: HEADER_SIZE,
    signatureStart: HEADER_SIZE + m,
    payloadStart: HEADER_SIZE + m + s,
    payload: file.subarray(HEADER_SIZE + m + s),
  };
}

/** A file as a writer would make it from `manifest` and `payload`, signed with `key`; the header may be told to lie. */
function assemble(manifest: Manifest, payload: Buffer, key?: PrivateKey, payloadLength = payload.length): Buffer {
  const bytes = Buffer.from(JSON.stringify({ ...manifest, keyId: key?.id ?? null }));
  const signature = key ? signManifest(bytes, key) : Buffer.alloc(0);
  return Buffer.concat([encodeHeader({ manifestLength: bytes.length, signatureLength: signature.length, payloadLength }), bytes, signature, payload]);
}

/** `manifest` with its payload fields describing `payload`, as a writer would compute them. */
function describing(manifest: Manifest, payload: Buffer, counts?: { entries: number; unpackedBytes: number }): Manifest {
  const h = new BlockHasher();
  h.update(payload);
  const d = h.digest();
  return { ...manifest, payload: { ...manifest.payload, ...counts, size: d.size, sha256: d.sha256 }, blocks: { size: BLOCK_SIZE, hashes: d.blocks } };
}

function flip(file: Buffer, at: number, mask = 0xff): Buffer {
  const copy = Buffer.from(file);
  copy[at]! ^= mask;
  return copy;
}

async function verdictOf(bytes: Buffer, opts: { keys?: PublicKey[] | null; boardType?: string } = {}): Promise<Verdict> {
  const file = join(fx.dir, `case-${++cases}.dbi`);
  await writeFile(file, bytes);
  try {
    return await verifyImageFile(file, { keys: opts.keys === null ? undefined : opts.keys ?? [fx.pub], boardType: opts.boardType });
  } finally {
    await rm(file, { force: true });
  }
}

async function refused(bytes: Buffer, check: ImageCheck, message: RegExp, opts: Parameters<typeof verdictOf>[1] = {}, what = ''): Promise<void> {
  const v = await verdictOf(bytes, opts);
  assert.is(v.ok, false, `${what}: should be refused`);
  assert.is(v.error?.check, check, `${what}: ${v.error?.message}`);
  assert.match(v.error!.message, message, what);
}

async function tarOf(entries: { name: string; type: 'file' | 'symlink' | 'directory'; linkname?: string; data?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type, linkname: e.linkname, mode: 0o644, mtime: new Date(0) }, e.data ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let work: TempDir;

test.before(async () => {
  work = await tempDir('deskbox-format-');
  fx.dir = work.path;
  Object.assign(fx, newKey());
  fx.rootfs = join(fx.dir, 'rootfs');
  await mkdir(join(fx.rootfs, 'bin'), { recursive: true });
  await mkdir(join(fx.rootfs, 'tmp'));
  // Random bytes fill several blocks; the zeros make at least one empty (null) block.
  await writeFile(join(fx.rootfs, 'bin/hello'), Buffer.concat(Array.from({ length: 5000 }, (_, i) => createHash('sha256').update(String(i)).digest())), { mode: 0o755 });
  await writeFile(join(fx.rootfs, 'zeros'), Buffer.alloc(3 * BLOCK_SIZE));
  await symlink('hello', join(fx.rootfs, 'bin/sh'));
  const logger = memoryLogger();
  fx.guestFile = join(fx.dir, 'guest.dbi');
  await buildGuestImage({ out: fx.guestFile, rootfs: fx.rootfs, name: 'tiny', version: '1.0', arch: 'x86_64', key: fx.key, logger });
  await writeFile(join(fx.dir, 'agent.mjs'), 'console.log("agent")\n');
  await buildBoardImage({
    out: join(fx.dir, 'board.dbi'), agent: join(fx.dir, 'agent.mjs'), agentVersion: '0.0.1', defaults: { keepaliveS: 10 },
    guests: [fx.guestFile], type: 'sim', name: 'board', version: '0.0.1', arch: 'x86_64', key: fx.key,
  });
  fx.guest = await readFile(fx.guestFile);
  fx.board = await readFile(join(fx.dir, 'board.dbi'));
});

test.after(() => work.remove());

test('a signed guest image and a board image carrying it verify', async () => {
  const guest = await verdictOf(fx.guest);
  assert.ok(guest.ok, guest.error?.message);
  assert.is(guest.signer, fx.key.id);
  assert.ok(guest.manifest!.blocks.hashes.includes(null), 'the zeros make an empty block');
  assert.ok(guest.manifest!.blocks.hashes.length >= 4);
  const board = await verdictOf(fx.board, { boardType: 'sim' });
  assert.ok(board.ok, board.error?.message);
  assert.equal(board.carried.map((c) => [c.path, c.name, c.sha256]), [['guests/tiny.dbi', 'tiny', guest.manifest!.payload.sha256]]);
  const unchecked = await verdictOf(fx.guest, { keys: null });
  assert.equal([unchecked.ok, unchecked.signer], [true, null]);
});

test('a flipped byte anywhere in the header: header', async () => {
  for (let at = 0; at < HEADER_SIZE; at++) await refused(flip(fx.guest, at), 'header', at < 8 ? /wrong magic/ : /checksum mismatch/, {}, `header byte ${at}`);
});

test('a flipped byte in the manifest: manifest, or signature when it still parses', async () => {
  const { manifestStart, signatureStart } = split(fx.guest);
  const json = fx.guest.subarray(manifestStart, signatureStart).toString();
  for (const at of [0, 1, json.indexOf('"name"') + 9, json.indexOf('"sha256"') + 12, json.indexOf('"created"') + 14, json.length - 1]) {
    await refused(flip(fx.guest, manifestStart + at), 'manifest', /not valid JSON|must be|Invalid/, {}, `manifest byte ${at}`);
  }
  // A hex digit turned into another still parses: only the signature can tell.
  const hex = manifestStart + json.indexOf('"sha256":"') + 10;
  const altered = Buffer.from(fx.guest);
  altered[hex] = altered[hex] === 0x61 ? 0x62 : 0x61;
  await refused(altered, 'signature', /does not match the manifest/, {}, 'sha256 digit');
  await refused(altered, 'payload', /SHA-256 is [0-9a-f]{64}, the manifest says/, { keys: null }, 'sha256 digit, unsigned check');
});

test('a flipped byte in the signature: signature', async () => {
  const { signatureStart } = split(fx.guest);
  for (const at of [0, 31, 63]) await refused(flip(fx.guest, signatureStart + at), 'signature', /does not match/, {}, `signature byte ${at}`);
});

test('a flipped byte in the first, middle, last or an empty payload block: blocks, naming the block', async () => {
  const { payloadStart, payload, manifest } = split(fx.guest);
  const last = manifest.blocks.hashes.length - 1;
  const empty = manifest.blocks.hashes.indexOf(null);
  for (const [block, at] of [[0, 100], [2, 2 * BLOCK_SIZE + 7], [last, payload.length - 1], [empty, empty * BLOCK_SIZE + 5]] as const) {
    const why = manifest.blocks.hashes[block] === null ? /is marked empty but is not/ : /hash differs from the block map/;
    await refused(flip(fx.guest, payloadStart + at, 0x01), 'blocks', new RegExp(`block ${block} \\(payload bytes ${block * BLOCK_SIZE}\\.\\.`), {}, `block ${block}`);
    await refused(flip(fx.guest, payloadStart + at, 0x01), 'blocks', why, { keys: null }, `block ${block}, no key`);
  }
});

test('a truncated file: header below 32 bytes, size from there on; one byte extra: size', async () => {
  const { signatureStart, payloadStart } = split(fx.guest);
  for (const n of [0, 10, 31]) await refused(fx.guest.subarray(0, n), 'header', new RegExp(`file is ${n} bytes, shorter than the 32-byte header`), {}, `${n} bytes`);
  const mid = (a: number, b: number) => Math.floor((a + b) / 2);
  for (const n of [32, mid(32, signatureStart), signatureStart, signatureStart + 10, payloadStart, payloadStart + 1, mid(payloadStart, fx.guest.length), fx.guest.length - 1]) {
    await refused(fx.guest.subarray(0, n), 'size', /truncated/, {}, `${n} of ${fx.guest.length} bytes`);
  }
  await refused(Buffer.concat([fx.guest, Buffer.from([0])]), 'size', /1 bytes after the end/, {}, 'one byte extra');
});

test('a manifest that lies about the payload, re-signed: the check for that field', async () => {
  const { manifest, payload } = split(fx.guest);
  const lie = (patch: Partial<Manifest['payload']>) => ({ ...manifest, payload: { ...manifest.payload, ...patch } });
  await refused(assemble(lie({ size: payload.length + 1 }), payload, fx.key), 'manifest', /payload\.size is \d+ but the header says/);
  // Header and manifest agree on one byte less (block map to match): the file is too long.
  const shorter: Manifest = { ...lie({ size: payload.length - 1 }), blocks: { size: BLOCK_SIZE, hashes: manifest.blocks.hashes.slice(0, Math.ceil((payload.length - 1) / BLOCK_SIZE)) } };
  await refused(assemble(shorter, payload, fx.key, payload.length - 1), 'size', /1 bytes after the end/);
  await refused(assemble(lie({ entries: manifest.payload.entries + 1 }), payload, fx.key), 'archive', new RegExp(`has ${manifest.payload.entries} entries, the manifest says ${manifest.payload.entries + 1}`));
  await refused(assemble(lie({ unpackedBytes: 7 }), payload, fx.key), 'archive', /unpacks to \d+ bytes, the manifest says 7/);
  const honest = await verdictOf(assemble(manifest, payload, fx.key));
  assert.ok(honest.ok, `the reassembly itself is sound: ${honest.error?.message}`);
});

test('wrong key, unsigned image, unknown format version', async () => {
  const other = newKey();
  await refused(fx.guest, 'signature', new RegExp(`signed by key ${fx.key.id}, which is not trusted here \\(trusted: ${other.pub.id}\\)`), { keys: [other.pub] });
  const { manifest, payload } = split(fx.guest);
  await refused(assemble(manifest, payload), 'signature', /the image is unsigned/);
  const v2 = Buffer.from(fx.guest);
  v2.writeUInt16BE(2, 8);
  v2.writeUInt32BE(crc32(v2.subarray(0, 28)), 28);
  await refused(v2, 'header', /unknown format version 2 \(this deskbox reads version 1\)/);
});

test('payloads that escape the rootfs, packed by hand and properly signed: archive', async () => {
  const { manifest } = split(fx.guest);
  const evil = await tarOf([{ name: '../evil', type: 'file', data: 'x' }]);
  await refused(assemble(describing(manifest, evil, { entries: 1, unpackedBytes: 1 }), evil, fx.key), 'archive', /"\.\.\/evil".*`\.\.` component/);
  const through = await tarOf([{ name: 'link', type: 'symlink', linkname: '/etc' }, { name: 'link/passwd', type: 'file', data: 'root::0:0::/:/bin/sh\n' }]);
  await refused(assemble(describing(manifest, through, { entries: 2, unpackedBytes: 21 }), through, fx.key), 'archive', /"link\/passwd".*through the symlink "link"/);
});

test('a board image: a tampered carried guest fails that guest\'s check, a wrong board type fails board', async () => {
  const { manifest, payload, payloadStart } = split(fx.board);
  // Without re-signing, the board's own block map catches any byte, wherever it lands.
  for (const off of [100, payload.length - 2000]) await refused(flip(fx.board, payloadStart + off, 0x01), 'blocks', /case-\d+\.dbi: blocks: block \d+ /, {}, `board byte ${off}`);
  const at = payload.indexOf(fx.guest);
  assert.ok(at > 0, 'the guest image sits whole in the board archive');
  const tampered = flip(payload, at + split(fx.guest).payloadStart + 2 * BLOCK_SIZE + 7, 0x01);
  const rebuilt = assemble(describing(manifest, tampered), tampered, fx.key);
  await refused(rebuilt, 'blocks', /case-\d+\.dbi:guests\/tiny\.dbi: blocks: block 2 /);
  await refused(fx.board, 'board', /for board type "sim", this board is "rpi4"/, { boardType: 'rpi4' });
});

test('the same inputs give the same payload, byte for byte', async () => {
  const again = await buildGuestImage({ out: join(fx.dir, 'again.dbi'), rootfs: fx.rootfs, name: 'tiny', version: '1.0', arch: 'x86_64', key: fx.key, logger: memoryLogger() });
  const first = split(fx.guest).manifest;
  assert.is(again.manifest.payload.sha256, first.payload.sha256);
  assert.equal(again.manifest.blocks.hashes, first.blocks.hashes);
  await rm(join(fx.dir, 'again.dbi'));
});

test('a payload stream that fails halfway leaves neither the output nor a temporary file', async () => {
  const dir = join(fx.dir, 'crash');
  await mkdir(dir);
  const payload = Readable.from((async function* () {
    yield Buffer.alloc(3 * BLOCK_SIZE, 1);
    throw new Error('the disk went away');
  })());
  const out = join(dir, 'out.dbi');
  const err = await writeImage({ out, payload, key: fx.key, fields: { kind: 'guest', name: 'x', version: '1', arch: 'x86_64' } }).catch((e: Error) => e);
  assert.match(String((err as Error | undefined)?.message), 'the disk went away');
  assert.equal(await readdir(dir), []);
});

test.run();
