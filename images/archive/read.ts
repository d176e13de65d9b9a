/**
 * Reading an untrusted tar archive: tar-stream parses, the rules judge each entry before
 * anyone sees it, and the end-of-archive marker must be there, so a cut at an entry boundary
 * is refused rather than taken for a shorter archive.
 */
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { drainedOrClosed } from './pack.ts';
import { ArchiveError, type ArchiveRules, type CheckedEntry, createArchiveRules } from './rules.ts';

export interface ExtractResult { entries: number; unpackedBytes: number }

export type EntryHandler = (entry: CheckedEntry, header: tar.Headers, data: AsyncIterable<Buffer>) => Promise<void>;

/** POSIX ends an archive with two zero blocks; without them a cut at an entry boundary would pass. */
const END_MARKER = 1024;

/** Zero bytes at the end of what was seen, after `chunk` follows what `run` described. */
function zeroRun(run: number, chunk: Buffer): number {
  for (let i = chunk.length - 1; i >= 0; i--) if (chunk[i] !== 0) return chunk.length - 1 - i;
  return run + chunk.length;
}

/**
 * Parses tar bytes written to `writable`, checks each entry under the rules, and hands it to
 * `handle`, one at a time (what the handler leaves unread is drained). `done` rejects with an
 * ArchiveError naming the entry for a fault of the archive, and with the error itself when the
 * input stream or the handler failed (a bad block upstream must keep its own name);
 * `finish` runs after the end-of-archive marker.
 */
export function walkArchive(rules: ArchiveRules, handle: EntryHandler, finish: () => Promise<void>): { writable: Writable; done: Promise<ExtractResult> } {
  const parser = tar.extract();
  let current = '';
  let failure: Error | undefined;
  let settled = false;
  let handling = Promise.resolve();
  // The end marker is the zero run at the end of the input beyond the last entry's own zeros.
  let inputZeros = 0;
  let entryZeros = 0;
  let resolve: (r: ExtractResult) => void = () => {};
  let reject: (e: Error) => void = () => {};
  const done = new Promise<ExtractResult>((res, rej) => { resolve = res; reject = rej; });

  const fail = (e: unknown) => {
    if (settled) return;
    settled = true;
    failure = e as Error;
    reject(failure);
    parser.destroy(failure);
    writable.destroy(failure);
  };

  const corrupt = (e: Error) => (e instanceof ArchiveError ? e : new ArchiveError(current, `archive is truncated or corrupt: ${e.message}`));
  parser.on('error', (e: Error) => fail(corrupt(e)));
  parser.on('entry', (header: tar.Headers, stream: Readable, next: () => void) => {
    current = header.name;
    // The parser's own error reaches `done` through its 'error' event.
    stream.on('error', () => {});
    const size = header.size ?? 0;
    const padding = (512 - (size % 512)) % 512;
    entryZeros = padding;
    const data = (async function* () {
      let run = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          run = zeroRun(run, chunk);
          entryZeros = run + padding;
          yield chunk;
        }
      } catch (e) {
        throw new ArchiveError(header.name, `archive is truncated or corrupt: ${(e as Error).message}`);
      }
    })();
    handling = (async () => {
      const entry = rules.check({ name: header.name, type: header.type ?? 'unknown-type', linkname: header.linkname, size, mode: header.mode });
      await handle(entry, header, data);
      for await (const _ of data) { /* drain what the handler did not read */ }
    })().then(next, fail);
  });

  const writable = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (parser.destroyed) return cb(failure ?? new Error('archive parser closed'));
      inputZeros = zeroRun(inputZeros, chunk);
      if (parser.write(chunk)) cb();
      else void drainedOrClosed(parser).then(() => cb());
    },
    final(cb) {
      const parsed = new Promise<void>((res) => { parser.once('finish', res); parser.once('close', res); });
      parser.end();
      void parsed
        .then(() => handling)
        .then(async () => {
          if (settled) return;
          if (inputZeros - entryZeros < END_MARKER) throw new ArchiveError(current, 'archive ends without its end-of-archive marker (truncated?)');
          await finish();
          settled = true;
          resolve({ entries: rules.entries, unpackedBytes: rules.unpackedBytes });
          cb();
        })
        .catch((e: Error) => fail(e instanceof ArchiveError ? e : corrupt(e)));
    },
  });
  // Whoever feeds the writable may not listen for its errors; `done` carries every one of them.
  writable.on('error', () => {});
  writable.on('close', () => fail(writable.errored ?? new ArchiveError(current, 'input stopped before the archive ended')));
  return { writable, done };
}

/** Walks an archive under the rules without writing anything: `deskbox image verify`. */
export async function listArchive(readable: Readable, rules: ArchiveRules = createArchiveRules()): Promise<ExtractResult & { paths: string[] }> {
  const paths: string[] = [];
  const { writable, done } = walkArchive(rules, async ({ path }) => { paths.push(path); }, async () => {});
  // `done` carries any failure, with the entry it happened at; the pipeline's copy adds nothing.
  const piped = pipeline(readable, writable).catch(() => {});
  const result = await done;
  await piped;
  return { ...result, paths };
}
