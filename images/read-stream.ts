/**
 * Reads a .dbi image from a stream, checking as it goes (docs/images.md, "Checks"): header,
 * manifest, size, signature before a single payload byte is handed on, then each 64 KiB
 * block against the block map before it is released downstream. So whatever consumes the
 * payload (an unpacker, a slot writer) only ever sees bytes the signed manifest vouches for,
 * and a bad image stops at its first bad block instead of after the whole download.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ImageError } from './format/errors.ts';
import { decodeHeader, HEADER_SIZE, imageFileSize, type ImageHeader } from './format/header.ts';
import { BLOCK_SIZE, parseManifest, type Manifest } from './format/manifest.ts';
import { isZero } from './format/block-hasher.ts';
import { verifyManifest, type PublicKey } from './format/keys.ts';

export interface ImageHead {
  header: ImageHeader;
  manifest: Manifest;
  manifestBytes: Buffer;
  signature: Buffer | null;
  /** The trusted key that verified the signature; null when no keys were given. */
  signer: PublicKey | null;
}

export interface OpenImageOptions {
  /** Names the image in errors: a file path, a URL, an archive entry. */
  name: string;
  /** Trusted keys; the image must be signed by one of them. Undefined: signature not checked. */
  keys?: readonly PublicKey[];
  /** The file's length when known up front, so truncation is caught before the payload. */
  fileSize?: number;
}

export interface OpenedImage {
  head: ImageHead;
  /** The payload, block by block, each verified; errors with an ImageError on the first bad one. */
  payload: Readable;
}

/** Pulls exact byte counts out of a chunk iterator. */
class ChunkReader {
  private pending: Buffer[] = [];
  private buffered = 0;
  offset = 0;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  /** Up to `n` bytes; fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n) {
      const { value, done } = await this.it.next();
      if (done) break;
      const chunk = Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);
      this.pending.push(chunk);
      this.buffered += chunk.length;
    }
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const out = all.subarray(0, n);
    const rest = all.subarray(out.length);
    this.pending = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.offset += out.length;
    return out;
  }
}

export async function openImageStream(source: Readable, opts: OpenImageOptions): Promise<OpenedImage> {
  const reader = new ChunkReader(source[Symbol.asyncIterator]());
  try {
    const head = await readHead(reader, opts);
    return { head, payload: Readable.from(payloadBlocks(reader, head, opts.name, source), { objectMode: false }) };
  } catch (e) {
    source.destroy();
    throw e;
  }
}

async function readHead(reader: ChunkReader, opts: OpenImageOptions): Promise<ImageHead> {
  const { name } = opts;
  const header = decodeHeader(await reader.read(HEADER_SIZE), name);
  const expected = imageFileSize(header);
  const truncated = (at: number) => new ImageError('size', name, `truncated: the file ends at byte ${at} but its header says it has ${expected} bytes`);
  const manifestBytes = await reader.read(header.manifestLength);
  if (manifestBytes.length < header.manifestLength) throw truncated(reader.offset);
  const manifest = parseManifest(manifestBytes, header, name);
  const signature = header.signatureLength > 0 ? await reader.read(header.signatureLength) : null;
  if (signature && signature.length < header.signatureLength) throw truncated(reader.offset);
  if (opts.fileSize !== undefined && opts.fileSize !== expected) {
    throw new ImageError('size', name, opts.fileSize < expected
      ? `truncated: the file has ${opts.fileSize} bytes but its header says ${expected}`
      : `the file has ${opts.fileSize - expected} bytes after the end its header gives (${expected})`);
  }
  return { header, manifest, manifestBytes, signature, signer: checkSignature(manifestBytes, manifest, signature, opts) };
}

function checkSignature(bytes: Buffer, manifest: Manifest, signature: Buffer | null, opts: OpenImageOptions): PublicKey | null {
  if (!opts.keys) return null;
  const fail = (detail: string) => new ImageError('signature', opts.name, detail);
  if (!signature || manifest.keyId === null) throw fail('the image is unsigned; sign it with `deskbox image build ... --key <desk.key>`');
  const key = opts.keys.find((k) => k.id === manifest.keyId);
  if (!key) throw fail(`signed by key ${manifest.keyId}, which is not trusted here (trusted: ${opts.keys.map((k) => k.id).join(', ') || 'none'})`);
  if (!verifyManifest(bytes, signature, key)) throw fail(`the signature does not match the manifest (key ${key.id}): the image was altered after signing`);
  return key;
}

async function* payloadBlocks(reader: ChunkReader, head: ImageHead, name: string, source: Readable): AsyncGenerator<Buffer> {
  const { manifest, header } = head;
  const whole = createHash('sha256');
  const total = manifest.payload.size;
  try {
    for (let index = 0, done = 0; done < total; index++) {
      const want = Math.min(BLOCK_SIZE, total - done);
      const block = await reader.read(want);
      if (block.length < want) {
        throw new ImageError('size', name, `truncated: the payload ends after ${done + block.length} of ${total} bytes (file byte ${reader.offset} of ${imageFileSize(header)})`);
      }
      const expected = manifest.blocks.hashes[index];
      const actual = isZero(block) ? null : createHash('sha256').update(block).digest('hex');
      if (actual !== expected) {
        const what = expected === null ? 'is marked empty but is not' : actual === null ? 'is empty but the block map lists a hash' : 'hash differs from the block map';
        throw new ImageError('blocks', name, `block ${index} (payload bytes ${done}..${done + want - 1}) ${what}`);
      }
      whole.update(block);
      done += want;
      yield block;
    }
    const extra = await reader.read(1);
    if (extra.length > 0) throw new ImageError('size', name, `there are bytes after the payload's end (byte ${imageFileSize(header)})`);
    const sha = whole.digest('hex');
    if (sha !== manifest.payload.sha256) throw new ImageError('payload', name, `SHA-256 is ${sha}, the manifest says ${manifest.payload.sha256}`);
  } finally {
    source.destroy();
  }
}
