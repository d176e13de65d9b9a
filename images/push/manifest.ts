/**
 * The push manifest (docs/push.md; its schema is the wire contract's, broker/contract/commands/push.ts):
 * the host builds it; the board checks every chunk against it and the whole file against its
 * sha256.
 */
import { createHash } from 'node:crypto';
import { MAX_CHUNKS, MAX_CHUNK_SIZE, type PushManifest } from '../../broker/contract/commands/push.ts';

export const DEFAULT_CHUNK_SIZE = 1 << 20;

/**
 * The same file to the same destination always gets the same id, so running a push again
 * finds the boards' part files and resumes. `dest` is the destination as the user wrote it,
 * `{board}` and all, so every board of one push shares the id its peers serve the file under.
 */
export function pushId(sha256: string, dest: string): string {
  return createHash('sha256').update(`${sha256}\n${dest}`).digest('hex').slice(0, 16);
}

/** The default chunk size, doubled until the file fits in MAX_CHUNKS chunks. */
export function chunkSizeFor(size: number, preferred = DEFAULT_CHUNK_SIZE): number {
  let chunkSize = preferred;
  while (Math.ceil(size / chunkSize) > MAX_CHUNKS && chunkSize < MAX_CHUNK_SIZE) chunkSize *= 2;
  return chunkSize;
}

/** Byte range of chunk `index`: `start` inclusive, `end` exclusive. */
export function chunkRange(m: Pick<PushManifest, 'size' | 'chunkSize'>, index: number): { start: number; end: number } {
  const start = index * m.chunkSize;
  return { start, end: Math.min(m.size, start + m.chunkSize) };
}
