/**
 * The host's view of the image it sends: the head in memory (it is small and goes first),
 * payload blocks read by offset when the board asks for them, so a 64 MB image never sits in
 * memory whole. Each block is checked against the manifest as it is read: a file that changed
 * or rotted since it was built fails here with the block named, not on the board later.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import { ImageError } from '../format/errors.ts';
import { isZero } from '../format/block-hasher.ts';
import { decodeHeader, HEADER_SIZE, imageFileSize, type ImageHeader } from '../format/header.ts';
import { BLOCK_SIZE, parseManifest, type Manifest } from '../format/manifest.ts';

export interface SourceImage {
  readonly file: string;
  readonly header: ImageHeader;
  readonly manifest: Manifest;
  /** Header + manifest + signature, as the board needs them before any payload. */
  readonly head: Buffer;
  /** Bytes of the whole file. */
  readonly imageBytes: number;
  blockLength(index: number): number;
  /** One payload block, checked against its manifest hash. */
  readBlock(index: number): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openSourceImage(file: string): Promise<SourceImage> {
  const fh = await open(file, 'r');
  try {
    const headerBytes = await readExactly(fh, 0, HEADER_SIZE, file);
    const header = decodeHeader(headerBytes, file);
    const rest = await readExactly(fh, HEADER_SIZE, header.manifestLength + header.signatureLength, file);
    const manifest = parseManifest(rest.subarray(0, header.manifestLength), header, file);
    const imageBytes = imageFileSize(header);
    const { size } = await fh.stat();
    if (size !== imageBytes) throw new ImageError('size', file, `the file has ${size} bytes but its header says ${imageBytes}`);
    return new FileImage(file, fh, header, manifest, Buffer.concat([headerBytes, rest]), imageBytes);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

class FileImage implements SourceImage {
  private readonly payloadOffset: number;
  constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    readonly header: ImageHeader,
    readonly manifest: Manifest,
    readonly head: Buffer,
    readonly imageBytes: number,
  ) {
    this.payloadOffset = head.length;
  }

  blockLength(index: number): number {
    return Math.min(BLOCK_SIZE, this.header.payloadLength - index * BLOCK_SIZE);
  }

  async readBlock(index: number): Promise<Buffer> {
    const block = await readExactly(this.fh, this.payloadOffset + index * BLOCK_SIZE, this.blockLength(index), this.file);
    const expected = this.manifest.blocks.hashes[index];
    const actual = isZero(block) ? null : createHash('sha256').update(block).digest('hex');
    if (actual !== expected) throw new ImageError('blocks', this.file, `block ${index} differs from the block map (the file changed after it was built?)`);
    return block;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

async function readExactly(fh: FileHandle, position: number, length: number, file: string): Promise<Buffer> {
  const b = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(b, got, length - got, position + got);
    if (bytesRead === 0) throw new ImageError('size', file, `truncated: the file ends before byte ${position + length}`);
    got += bytesRead;
  }
  return b;
}

export interface EncodedBlock {
  bytes: Buffer;
  compressed: boolean;
}

/**
 * Deflated when that makes it smaller, else as is (incompressible data grows a little under
 * deflate). Synchronous on purpose: a 64 KiB block takes a millisecond or two, far less than
 * its time on any serial line, and a thread-pool round trip per block would only make the
 * send timing depend on whatever else the pool is doing.
 */
export function encodeBlock(raw: Buffer, level = 6): EncodedBlock {
  const deflated = deflateRawSync(raw, { level });
  return deflated.length < raw.length ? { bytes: deflated, compressed: true } : { bytes: raw, compressed: false };
}
