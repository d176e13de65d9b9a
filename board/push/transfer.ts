/**
 * One push.fetch on the board: fetch the chunks the part file lacks from the first source
 * that delivers them, read the whole part back (each chunk against its hash, the whole file
 * against the manifest's), then fsync and rename over `dest`. So `dest` is the old file or
 * the complete new one, and an interrupted run leaves a part that the next run resumes.
 */
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { chunkRange } from '../../images/push/manifest.ts';
import type { PushManifest } from '../../broker/contract/commands/push.ts';
import { sha256File } from '../../images/file-hash.ts';
import { fsyncPath } from '../../platform/atomic-file.ts';
import { fetchRun } from './fetch-run.ts';
import { partPaths, readBack, readVerified, removePart, saveVerified, type PartPaths } from './part-file.ts';
import { SourceError } from './range-get.ts';

/** `sources`: every source failed; `manifest`: the chunks add up to another file than it says. */
export class PushError extends Error {
  constructor(readonly kind: 'sources' | 'manifest', readonly dest: string, detail: string) {
    super(`push to ${dest}: ${detail}`);
    this.name = 'PushError';
  }
}

export interface TransferRequest {
  manifest: PushManifest;
  dest: string;
  sources: readonly string[];
  /** Stall limit of each request to a source. */
  timeoutMs: number;
}

export interface TransferOutcome {
  bytes: number;
  fetched: number;
  resumedBytes: number;
  sha256: string;
  elapsedMs: number;
  failedSources: { url: string; error: string }[];
}

/** The state file is rewritten about every 8 MiB: a crash costs at most that much refetching. */
const PERSIST_BYTES = 8 << 20;

const chunkBytes = (m: PushManifest, chunks: Iterable<number>) => [...chunks].reduce((n, i) => n + chunkRange(m, i).end - chunkRange(m, i).start, 0);

async function holdsFile(dest: string, m: PushManifest): Promise<boolean> {
  const size = await stat(dest).then((s) => (s.isFile() ? s.size : -1), () => -1);
  return size === m.size && (await sha256File(dest)) === m.sha256;
}

/** Chunks `verified` lacks, as runs of consecutive indices. */
function missingRuns(m: PushManifest, verified: ReadonlySet<number>): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < m.chunks.length; i++) {
    if (verified.has(i)) continue;
    const last = runs.at(-1);
    if (last && last[1] === i - 1) last[1] = i;
    else runs.push([i, i]);
  }
  return runs;
}

export async function transfer(req: TransferRequest): Promise<TransferOutcome> {
  const { manifest: m, dest } = req;
  const started = performance.now();
  const result = (fetched: number, resumedBytes: number, failedSources: TransferOutcome['failedSources']): TransferOutcome =>
    ({ bytes: m.size, fetched, resumedBytes, sha256: m.sha256, elapsedMs: Math.round(performance.now() - started), failedSources });
  if (await holdsFile(dest, m)) return result(0, m.size, []);

  await mkdir(dirname(dest), { recursive: true });
  const paths = partPaths(dest);
  const verified = await readVerified(paths, m);
  const resumedBytes = chunkBytes(m, verified);
  const part = await open(paths.part, verified.size > 0 ? 'r+' : 'w+');
  try {
    await part.truncate(m.size);
    const buffer = Buffer.allocUnsafe(Math.min(m.chunkSize, Math.max(m.size, 1)));
    const fetched = await fetchMissing(req, paths, part, verified, buffer);
    let check = await readBack(part, m, buffer);
    if (check.bad.length > 0) {
      // Verified once, wrong on disk now (a part changed behind our back, a failing medium): fetched again, once.
      check.bad.forEach((i) => verified.delete(i));
      const again = await fetchMissing(req, paths, part, verified, buffer);
      fetched.bytes += again.bytes;
      fetched.failedSources.push(...again.failedSources);
      check = await readBack(part, m, buffer);
      if (check.bad.length > 0) throw new PushError('sources', dest, `chunks ${check.bad.join(', ')} read back wrong from this board's disk`);
    }
    if (check.sha256 !== m.sha256) {
      await removePart(paths);
      throw new PushError('manifest', dest, `every chunk matches the manifest but the file's sha256 is ${check.sha256}, not ${m.sha256}: the manifest is inconsistent`);
    }
    await part.sync();
    await part.close();
    await rename(paths.part, dest);
    await fsyncPath(dirname(dest));
    await rm(paths.state, { force: true });
    return result(fetched.bytes, resumedBytes, fetched.failedSources);
  } finally {
    await part.close().catch(() => undefined);
  }
}

/** Fills the part's gaps, falling to the next source whenever one fails; the last failure ends it. */
async function fetchMissing(req: TransferRequest, paths: PartPaths, part: FileHandle, verified: Set<number>, buffer: Buffer) {
  const m = req.manifest;
  const failedSources: TransferOutcome['failedSources'] = [];
  let bytes = 0;
  let unsaved = 0;
  const persist = async () => {
    await part.datasync();
    await saveVerified(paths, m, verified);
    unsaved = 0;
  };
  for (let s = 0; ; ) {
    const run = missingRuns(m, verified)[0];
    if (!run) break;
    const url = req.sources[s]!;
    try {
      await fetchRun(url, run[0], run[1], {
        manifest: m, part, buffer, timeoutMs: req.timeoutMs,
        onBytes: (n) => { bytes += n; },
        onChunk: async (i) => {
          verified.add(i);
          unsaved += chunkRange(m, i).end - chunkRange(m, i).start;
          if (unsaved >= PERSIST_BYTES) await persist();
        },
      });
    } catch (e) {
      if (!(e instanceof SourceError)) throw e;
      failedSources.push({ url, error: e.message });
      if (++s === req.sources.length) {
        await persist();
        throw new PushError('sources', req.dest, `no source delivered the file: ${failedSources.map((f) => f.error).join('; ')}`);
      }
    }
  }
  return { bytes, failedSources };
}
