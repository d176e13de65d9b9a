/**
 * The push.* ops (docs/push.md, docs/mqtt.md) and the push manifest they carry, format v1:
 * what a board needs to fetch a file from any source and trust none of them. It travels
 * inside an MQTT request (64 KiB at most), so a big file gets bigger chunks, not more of them.
 * Building and reading manifests is images/push/manifest.ts.
 */
import * as v from 'valibot';
import { command, countSchema as count, sha256Hex } from './spec.ts';

export const PUSH_MANIFEST_VERSION = 1;
/** 512 hashes of 67 bytes each keep the manifest near 35 KiB, well inside one MQTT payload. */
export const MAX_CHUNKS = 512;
/** A board holds one chunk in memory while it checks it; 64 MiB chunks still allow 32 GiB files. */
export const MAX_CHUNK_SIZE = 64 << 20;
export const MIN_CHUNK_SIZE = 64 << 10;
const MAX_SOURCES = 8;

export const pushIdText = v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/, 'must be 16 lower-case hex digits'));
const url = v.pipe(v.string(), v.minLength(1), v.maxLength(2048));

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

export const PushFetchArgsSchema = v.object({
  manifest: PushManifestSchema,
  /** Absolute path on the board; the host has already put the board's id in for `{board}`. */
  dest: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  /** Tried in order; the last one is the host. */
  sources: v.pipe(v.array(url), v.minLength(1), v.maxLength(MAX_SOURCES)),
});

export const PushFetchResultSchema = v.object({
  id: pushIdText,
  bytes: count,
  /** Bytes that came over the network this time; 0 when `dest` already held the file. */
  fetched: count,
  /** Verified bytes found on the board from an earlier, interrupted run (or the finished file). */
  resumedBytes: count,
  sha256: sha256Hex,
  elapsedMs: count,
  /** Where this board now serves the file to its peers. */
  servingAt: url,
  /** Sources given up on, each with why (a refused connection, a chunk that failed its hash...). */
  failedSources: v.array(v.object({ url, error: v.string() })),
});
export type PushFetchResult = v.InferOutput<typeof PushFetchResultSchema>;

export const PushDoneResultSchema = v.object({
  id: pushIdText,
  /** False when the board was not serving it (never fetched it, or its idle time ran out). */
  served: v.boolean(),
  servedBytes: count,
  requests: count,
});
export type PushDoneResult = v.InferOutput<typeof PushDoneResultSchema>;

export const PUSH_COMMANDS = {
  'push.fetch': command({
    args: PushFetchArgsSchema,
    result: PushFetchResultSchema,
    summary: 'fetch a pushed file to dest from the sources, every chunk checked against the manifest, then serve it to peers',
  }),
  'push.done': command({
    args: v.object({ id: pushIdText }),
    result: PushDoneResultSchema,
    summary: 'stop serving a pushed file to peers',
  }),
};
