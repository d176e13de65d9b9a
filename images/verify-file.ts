/**
 * The whole verdict on one image file, for `deskbox image verify` and `inspect`: every check
 * of docs/images.md in order, stopping at the first failure, which is reported by name.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { ImageError, type ImageCheck } from './format/errors.ts';
import type { Manifest } from './format/manifest.ts';
import type { PublicKey } from './format/keys.ts';
import { openImageStream, type ImageHead } from './read-stream.ts';
import { checkPayload, type CarriedGuest } from './check-payload.ts';

export interface Verdict {
  ok: boolean;
  file: string;
  /** Present once the manifest could be read, even if a later check failed. */
  manifest?: Manifest;
  /** Key id that verified the signature; null when no key was given (signature not checked). */
  signer: string | null;
  carried: { path: string; name: string; version: string; sha256: string }[];
  error?: { check: ImageCheck; message: string };
}

/** Header and manifest only: what a damaged or truncated file still tells. */
export async function readImageHead(file: string): Promise<ImageHead> {
  const opened = await openImageStream(createReadStream(file), { name: file });
  opened.payload.destroy();
  return opened.head;
}

export async function verifyImageFile(file: string, opts: { keys?: readonly PublicKey[]; boardType?: string } = {}): Promise<Verdict> {
  const verdict: Verdict = { ok: false, file, signer: null, carried: [] };
  try {
    const size = (await stat(file)).size;
    const opened = await openImageStream(createReadStream(file, { highWaterMark: 1 << 20 }), { name: file, keys: opts.keys, fileSize: size });
    verdict.manifest = opened.head.manifest;
    verdict.signer = opened.head.signer?.id ?? null;
    const carried: CarriedGuest[] = await checkPayload(opened, { name: file, keys: opts.keys, boardType: opts.boardType });
    verdict.carried = carried.map((c) => ({ path: c.path, name: c.manifest.name, version: c.manifest.version, sha256: c.manifest.payload.sha256 }));
    verdict.ok = true;
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    verdict.error = { check: e.check, message: e.message };
    // The manifest of a file that failed later is still worth showing.
    if (!verdict.manifest && e.check !== 'header' && e.check !== 'manifest') verdict.manifest = await readImageHead(file).then((h) => h.manifest, () => undefined);
  }
  return verdict;
}
