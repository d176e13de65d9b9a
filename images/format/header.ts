/**
 * The fixed 32-byte header of a .dbi file (docs/images.md, "File layout"). It holds only
 * lengths, so a reader can find the manifest, the signature and the payload before it
 * trusts anything; the CRC turns a flipped header byte into a clear message instead of a
 * confusing length error further on.
 */
import { crc32 } from './crc32.ts';
import { ImageError } from './errors.ts';

export const MAGIC = Buffer.from([0x89, 0x44, 0x42, 0x49, 0x0d, 0x0a, 0x1a, 0x0a]);
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 32;
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
export const SIGNATURE_BYTES = 64;

export interface ImageHeader {
  version: number;
  manifestLength: number;
  signatureLength: number;
  payloadLength: number;
}

export function encodeHeader(h: Omit<ImageHeader, 'version'>): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(b, 0);
  b.writeUInt16BE(FORMAT_VERSION, 8);
  b.writeUInt16BE(HEADER_SIZE, 10);
  b.writeUInt32BE(h.manifestLength, 12);
  b.writeUInt32BE(h.signatureLength, 16);
  b.writeBigUInt64BE(BigInt(h.payloadLength), 20);
  b.writeUInt32BE(crc32(b.subarray(0, 28)), 28);
  return b;
}

export function decodeHeader(b: Buffer, source: string): ImageHeader {
  const fail = (detail: string) => new ImageError('header', source, detail);
  if (b.length < HEADER_SIZE) throw fail(`file is ${b.length} bytes, shorter than the ${HEADER_SIZE}-byte header`);
  if (!b.subarray(0, 8).equals(MAGIC)) throw fail('not a deskbox image (wrong magic bytes)');
  const version = b.readUInt16BE(8);
  if (b.readUInt32BE(28) !== crc32(b.subarray(0, 28))) throw fail('header checksum mismatch (the header is damaged)');
  if (version !== FORMAT_VERSION) throw fail(`unknown format version ${version} (this deskbox reads version ${FORMAT_VERSION})`);
  if (b.readUInt16BE(10) !== HEADER_SIZE) throw fail(`header length ${b.readUInt16BE(10)}, expected ${HEADER_SIZE}`);
  const manifestLength = b.readUInt32BE(12);
  const signatureLength = b.readUInt32BE(16);
  const payload = b.readBigUInt64BE(20);
  if (manifestLength === 0 || manifestLength > MAX_MANIFEST_BYTES) throw fail(`manifest length ${manifestLength} is out of range (1..${MAX_MANIFEST_BYTES})`);
  if (signatureLength !== 0 && signatureLength !== SIGNATURE_BYTES) throw fail(`signature length ${signatureLength}, expected 0 or ${SIGNATURE_BYTES}`);
  if (payload > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`payload length ${payload} is out of range`);
  return { version, manifestLength, signatureLength, payloadLength: Number(payload) };
}

export function imageFileSize(h: ImageHeader): number {
  return HEADER_SIZE + h.manifestLength + h.signatureLength + h.payloadLength;
}
