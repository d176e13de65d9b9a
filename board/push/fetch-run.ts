/**
 * Fetches a run of consecutive chunks from one source in one ranged request, and checks each
 * chunk against its manifest hash before a byte of it reaches the part file. A chunk that
 * fails its hash ends the run as that source's failure: the caller fetches it from another.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { chunkRange } from '../../images/push/manifest.ts';
import type { PushManifest } from '../../broker/contract/commands/push.ts';
import { getRange, SourceError } from './range-get.ts';

export interface RunTarget {
  manifest: PushManifest;
  /** The part file, open for writing at offsets. */
  part: FileHandle;
  /** One chunk's room, reused for every chunk: the only file bytes the board holds in memory. */
  buffer: Buffer;
  timeoutMs: number;
  /** Every byte received, good or bad, as it arrives. */
  onBytes(n: number): void;
  /** A chunk is verified and written. */
  onChunk(index: number): Promise<void>;
}

/** Chunks `first` to `last` (inclusive) from `url`; throws SourceError on any failure of the source. */
export async function fetchRun(url: string, first: number, last: number, t: RunTarget): Promise<void> {
  const m = t.manifest;
  const body = await getRange(url, chunkRange(m, first).start, chunkRange(m, last).end, { timeoutMs: t.timeoutMs, size: m.size });
  let index = first;
  let range = chunkRange(m, index);
  let fill = 0;
  // A failing write (a full disk) is this board's failure, not the source's: it is not retried elsewhere.
  let writing = false;
  try {
    for await (const piece of body as AsyncIterable<Buffer>) {
      for (let at = 0; at < piece.length;) {
        if (index > last) throw new SourceError(url, 'sent more bytes than the range asked for');
        const n = Math.min(range.end - range.start - fill, piece.length - at);
        piece.copy(t.buffer, fill, at, at + n);
        fill += n;
        at += n;
        t.onBytes(n);
        if (fill < range.end - range.start) continue;
        const chunk = t.buffer.subarray(0, fill);
        if (createHash('sha256').update(chunk).digest('hex') !== m.chunks[index]) {
          throw new SourceError(url, `chunk ${index} (bytes ${range.start}-${range.end - 1}) does not match its hash`);
        }
        writing = true;
        await t.part.write(chunk, 0, chunk.length, range.start);
        await t.onChunk(index);
        writing = false;
        index += 1;
        range = chunkRange(m, index);
        fill = 0;
      }
    }
  } catch (e) {
    throw e instanceof SourceError || writing ? e : new SourceError(url, (e as Error).message);
  } finally {
    body.destroy();
  }
  if (index <= last) throw new SourceError(url, `the body ended at byte ${range.start + fill}, before chunk ${last} was complete`);
}
