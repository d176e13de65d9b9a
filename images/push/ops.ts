/**
 * Arguments and results of the push.* commands (docs/push.md, docs/mqtt.md): the board
 * validates what it is asked, the host validates what it is told, with the same schemas.
 */
import * as v from 'valibot';
import { PushManifestSchema, pushIdText, sha256Hex } from './manifest.ts';

const MAX_SOURCES = 8;
const url = v.pipe(v.string(), v.minLength(1), v.maxLength(2048));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));

export const PushFetchArgsSchema = v.object({
  manifest: PushManifestSchema,
  /** Absolute path on the board; the host has already put the board's id in for `{board}`. */
  dest: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  /** Tried in order; the last one is the host. */
  sources: v.pipe(v.array(url), v.minLength(1), v.maxLength(MAX_SOURCES)),
});
export type PushFetchArgs = v.InferOutput<typeof PushFetchArgsSchema>;

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

export const PushDoneArgsSchema = v.object({ id: pushIdText });

export const PushDoneResultSchema = v.object({
  id: pushIdText,
  /** False when the board was not serving it (never fetched it, or its idle time ran out). */
  served: v.boolean(),
  servedBytes: count,
  requests: count,
});
export type PushDoneResult = v.InferOutput<typeof PushDoneResultSchema>;
