/**
 * Shared by the image store tests: desk keys, small real guest images built from folders, and
 * a byte flipped inside a payload.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { generateKeys, type PrivateKey, type PublicKey } from '../../images/format/keys.ts';
import type { Arch } from '../../images/format/manifest.ts';
import { buildGuestImage } from '../../images/build-guest.ts';
import { memoryLogger } from '../../platform/log.ts';
import { withTempDir } from '../support/temp-dir.ts';

export interface KeyPair { privateKey: PrivateKey; publicKey: PublicKey }

export function keyPair(): KeyPair {
  const { privatePem, publicKey } = generateKeys();
  return { privateKey: { id: publicKey.id, key: createPrivateKey(privatePem) }, publicKey };
}

/** A guest image of a small rootfs folder; the same `files` always give the same payload. */
export async function guestImage(out: string, opts: { name: string; version?: string; files: Record<string, string>; key?: PrivateKey; arch?: Arch }) {
  return withTempDir(join(dirname(out), '.rootfs-'), async (rootfs) => {
    for (const [path, body] of Object.entries(opts.files)) {
      await mkdir(dirname(join(rootfs, path)), { recursive: true });
      await writeFile(join(rootfs, path), body);
    }
    return buildGuestImage({ out, rootfs, name: opts.name, version: opts.version ?? '1.0', arch: opts.arch ?? 'x86_64', key: opts.key, logger: memoryLogger() });
  });
}

/** What store.install takes for a file. */
export async function fileSource(file: string): Promise<[Readable, { name: string; fileSize: number }]> {
  return [createReadStream(file), { name: file, fileSize: (await stat(file)).size }];
}

/** Flips one byte in the middle of the payload: the header, manifest and signature stay valid. */
export async function flipPayloadByte(file: string, payloadSize: number): Promise<void> {
  const at = (await stat(file)).size - payloadSize + Math.floor(payloadSize / 2);
  const fh = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}
