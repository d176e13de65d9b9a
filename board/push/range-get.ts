/**
 * One ranged GET from a push source. node:http rather than fetch, for the reason
 * board/images/download.ts gives (undici's heap). A source must answer 206 with exactly the
 * range asked for: anything else is that source's failure, and the caller tries the next.
 */
import http from 'node:http';
import type { Readable } from 'node:stream';

export class SourceError extends Error {
  constructor(readonly url: string, detail: string) {
    super(`${url}: ${detail}`);
    this.name = 'SourceError';
  }
}

export interface RangeGetOptions {
  /** Longest wait for the connection, the response or the next bytes of the body. */
  timeoutMs: number;
  /** The file's size, to check the server's Content-Range against. */
  size: number;
}

/**
 * Bytes `start` to `end` (exclusive) of the file at `url`, as a stream. The reader counts what
 * it gets: a body that ends early or runs long is the source's failure too.
 */
export function getRange(url: string, start: number, end: number, opts: RangeGetOptions): Promise<Readable> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new SourceError(url, 'not a URL'));
  }
  if (parsed.protocol !== 'http:') return Promise.reject(new SourceError(url, `scheme ${parsed.protocol} is not supported; push sources are http://`));

  return new Promise<Readable>((resolve, reject) => {
    const req = http.get(parsed, { agent: false, headers: { range: `bytes=${start}-${end - 1}` } });
    let body: Readable | undefined;
    const fail = (e: Error) => {
      const err = e instanceof SourceError ? e : new SourceError(url, e.message);
      if (!body) reject(err);
      else if (!body.destroyed) body.destroy(err);
      req.destroy();
    };
    req.setTimeout(opts.timeoutMs, () => fail(new SourceError(url, `no data for ${opts.timeoutMs} ms`)));
    req.on('error', fail);
    req.on('response', (res) => {
      const expected = `bytes ${start}-${end - 1}/${opts.size}`;
      if (res.statusCode !== 206) return fail(new SourceError(url, `HTTP ${res.statusCode ?? '?'} to a range request (206 expected)`));
      if (res.headers['content-range'] !== expected) {
        return fail(new SourceError(url, `Content-Range "${res.headers['content-range'] ?? ''}", expected "${expected}"`));
      }
      body = res;
      resolve(res);
    });
  });
}
