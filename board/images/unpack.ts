/**
 * Unpacking one verified image stream into a temporary blob folder, and what a board refuses
 * before it unpacks anything. The payload is checked block by block as it arrives, so the
 * unpacker only ever writes bytes the signed manifest vouches for; the tar stream ends (and
 * the extraction finishes) only after the whole payload's SHA-256 matched too.
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { extractArchive } from '../../images/archive/extract.ts';
import { assertArchiveCounts, asImageError } from '../../images/check-payload.ts';
import { ImageError } from '../../images/format/errors.ts';
import type { Arch, Manifest } from '../../images/format/manifest.ts';
import type { ImageHead } from '../../images/read-stream.ts';
import { fsyncPath } from '../../platform/atomic-file.ts';

/** Why this board will not store the image, or undefined when it will. */
export function refusal(m: Manifest, want: { source: string; arch: Arch; sha256?: string }): ImageError | undefined {
  if (m.kind !== 'guest') return new ImageError('board', want.source, `a ${m.kind} image cannot be installed as a guest image; board images are flashed into a slot`);
  if (m.arch !== want.arch) return new ImageError('board', want.source, `the image is for ${m.arch}, this board runs ${want.arch}`);
  if (want.sha256 !== undefined && m.payload.sha256 !== want.sha256) {
    return new ImageError('payload', want.source, `the payload's SHA-256 is ${m.payload.sha256}, ${want.sha256} was asked for`);
  }
  return undefined;
}

/**
 * Fills `tmp` (which must not exist) with `rootfs/` and `manifest.json`, all fsynced. Rejects
 * with the payload's ImageError when the stream fails a check, or an ImageError('archive').
 */
export async function unpackBlob(payload: Readable, tmp: string, head: ImageHead, source: string): Promise<void> {
  const rootfs = join(tmp, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  const { writable, done } = extractArchive(rootfs);
  // The extractor only sees "input stopped"; the check that stopped it is the real reason.
  let payloadError: Error | undefined;
  payload.on('error', (e) => { payloadError = e; writable.destroy(e); });
  payload.pipe(writable);
  const counts = await done.catch((e: unknown) => { throw payloadError ?? asImageError(e, source); });
  assertArchiveCounts(head.manifest, counts, source);
  const fh = await open(join(tmp, 'manifest.json'), 'wx', 0o444);
  try {
    await fh.writeFile(head.manifestBytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncPath(tmp);
}
