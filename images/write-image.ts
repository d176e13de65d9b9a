/**
 * Writes a .dbi file (docs/images.md): the payload streams into a temporary file while it is
 * hashed block by block, the archive is walked once under the same rules every reader
 * applies (so deskbox never builds an image a board would refuse), then header, manifest,
 * signature and payload go into the output atomically.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { openAtomicFile } from '../platform/atomic-file.ts';
import { BlockHasher } from './format/block-hasher.ts';
import { encodeHeader, SIGNATURE_BYTES } from './format/header.ts';
import * as v from 'valibot';
import { describeIssues } from '../broker/contract/messages.ts';
import { BLOCK_SIZE, ManifestSchema, type Manifest } from './format/manifest.ts';
import { signManifest, type PrivateKey } from './format/keys.ts';
import { listArchive } from './archive/extract.ts';

export type ImageFields = Pick<Manifest, 'kind' | 'name' | 'version' | 'arch' | 'board'>;

export interface WrittenImage {
  file: string;
  manifest: Manifest;
  /** Bytes of the whole .dbi file. */
  bytes: number;
}

/** Build time as docs/images.md says: SOURCE_DATE_EPOCH when set, for reproducible builds. */
export function buildTime(env: NodeJS.ProcessEnv = process.env): Date {
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  return env.SOURCE_DATE_EPOCH && Number.isFinite(epoch) ? new Date(epoch * 1000) : new Date();
}

export async function writeImage(opts: { out: string; fields: ImageFields; payload: Readable; key?: PrivateKey; created?: Date }): Promise<WrittenImage> {
  const payloadFile = await openAtomicFile(`${opts.out}.payload`);
  const out = await openAtomicFile(opts.out);
  try {
    const hasher = new BlockHasher();
    for await (const chunk of opts.payload) {
      hasher.update(chunk as Buffer);
      await payloadFile.write(chunk as Buffer);
    }
    const digest = hasher.digest();
    const archive = await listArchive(createReadStream(payloadFile.tmpPath));
    const manifest: Manifest = {
      format: 'deskbox-image',
      v: 1,
      kind: opts.fields.kind,
      name: opts.fields.name,
      version: opts.fields.version,
      arch: opts.fields.arch,
      created: (opts.created ?? buildTime()).toISOString(),
      keyId: opts.key?.id ?? null,
      payload: { type: 'tar', size: digest.size, sha256: digest.sha256, entries: archive.entries, unpackedBytes: archive.unpackedBytes },
      blocks: { size: BLOCK_SIZE, hashes: digest.blocks },
      ...(opts.fields.board ? { board: opts.fields.board } : {}),
    };
    const valid = v.safeParse(ManifestSchema, manifest);
    if (!valid.success) throw new Error(`the manifest would be invalid: ${describeIssues(valid.issues)}`);
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const signature = opts.key ? signManifest(manifestBytes, opts.key) : Buffer.alloc(0);
    await out.write(encodeHeader({ manifestLength: manifestBytes.length, signatureLength: opts.key ? SIGNATURE_BYTES : 0, payloadLength: digest.size }));
    await out.write(manifestBytes);
    await out.write(signature);
    for await (const chunk of createReadStream(payloadFile.tmpPath, { highWaterMark: 1 << 20 })) await out.write(chunk as Buffer);
    await out.commit();
    return { file: opts.out, manifest, bytes: 32 + manifestBytes.length + signature.length + digest.size };
  } catch (e) {
    await out.abort();
    throw e;
  } finally {
    await payloadFile.abort();
    await rm(payloadFile.tmpPath, { force: true });
  }
}

