/**
 * The push manifest, format v1 (docs/push.md): what a board needs to fetch a file from any
 * source and trust none of them. The host builds it; the board checks every chunk against it
 * and the whole file against its sha256. It travels inside an MQTT request (64 KiB at most),
 * so a big file gets bigger chunks rather than more of them.
 */
import { createHash } from 'node:crypto';
import * as v from 'valibot';

export const PUSH_MANIFEST_VERSION = 1;
export const DEFAULT_CHUNK_SIZE = 1 << 20;
/** 512 hashes of 67 bytes each keep the manifest near 35 KiB, well inside one MQTT payload. */
export const MAX_CHUNKS = 512;
/** A board holds one chunk in memory while it checks it; 64 MiB chunks still allow 32 GiB files. */
export const MAX_CHUNK_SIZE = 64 << 20;
const MIN_CHUNK_SIZE = 64 << 10;

export const sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'));
export const pushIdText = v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/, 'must be 16 lower-case hex digits'));

const isPowerOfTwo = (n: number) => Number.isInteger(Math.log2(n));

export const PushManifestSchema = v.pipe(
  v.strictObject({
    v: v.literal(PUSH_MANIFEST_VERSION),
    id: pushIdText,
    size: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_CHUNKS * MAX_CHUNK_SIZE)),
    sha256: sha256Hex,
    chunkSize: v.pipe(v.number(), v.integer(), v.minValue(MIN_CHUNK_SIZE), v.maxValue(MAX_CHUNK_SIZE), v.check(isPowerOfTwo, 'must be a power of two')),
    chunks: v.pipe(v.array(sha256Hex), v.maxLength(MAX_CHUNKS)),
  }),
  v.check((m) => m.chunks.length === Math.ceil(m.size / m.chunkSize), 'chunks must hold one hash per chunkSize bytes of size'),
);
export type PushManifest = v.InferOutput<typeof PushManifestSchema>;

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
