/** The host's half of the push manifest: one read of the file gives every chunk hash and the whole. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { chunkSizeFor, pushId } from '../../images/push/manifest.ts';
import { MAX_CHUNKS, PUSH_MANIFEST_VERSION, type PushManifest } from '../../broker/contract/commands/push.ts';

export class PushFileError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'PushFileError';
  }
}

/** `dest` as the user wrote it (with `{board}`), so reruns of the same push share its id. */
export async function buildPushManifest(file: string, dest: string, preferredChunkSize?: number): Promise<PushManifest> {
  const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new PushFileError(file, e.code === 'ENOENT' ? 'no such file' : e.message);
  });
  if (!info.isFile()) throw new PushFileError(file, 'is not a regular file');
  const chunkSize = chunkSizeFor(info.size, preferredChunkSize);
  if (Math.ceil(info.size / chunkSize) > MAX_CHUNKS) throw new PushFileError(file, `${info.size} bytes is more than a push carries`);

  const whole = createHash('sha256');
  const chunks: string[] = [];
  let chunk = createHash('sha256');
  let filled = 0;
  for await (const piece of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    whole.update(piece);
    for (let at = 0; at < piece.length;) {
      const n = Math.min(chunkSize - filled, piece.length - at);
      chunk.update(piece.subarray(at, at + n));
      filled += n;
      at += n;
      if (filled === chunkSize) {
        chunks.push(chunk.digest('hex'));
        chunk = createHash('sha256');
        filled = 0;
      }
    }
  }
  if (filled > 0) chunks.push(chunk.digest('hex'));
  const size = chunks.length === 0 ? 0 : (chunks.length - 1) * chunkSize + (filled || chunkSize);
  if (size !== info.size) throw new PushFileError(file, `changed while it was read (${info.size} bytes, then ${size})`);
  const sha256 = whole.digest('hex');
  return { v: PUSH_MANIFEST_VERSION, id: pushId(sha256, dest), size, sha256, chunkSize, chunks };
}
