/**
 * Fetches an image file over HTTP(S) for `images.install`. node:http rather than fetch: fetch
 * (undici) costs megabytes of heap a 512 MB board would rather give its guests. The body is
 * handed on as a stream, never buffered; the image reader checks it block by block as it comes.
 */
import http from 'node:http';
import https from 'node:https';
import { type Readable, Transform } from 'node:stream';

export type DownloadFailure = 'bad-url' | 'status' | 'timeout' | 'too-big' | 'network';

export class DownloadError extends Error {
  constructor(readonly failure: DownloadFailure, readonly url: string, detail: string) {
    super(`download ${url}: ${detail}`);
    this.name = 'DownloadError';
  }
}

export interface DownloadOptions {
  /** Longest wait for the connection, the response or the next bytes of the body. */
  timeoutMs: number;
  maxBytes?: number;
}

export interface Download {
  stream: Readable;
  /** From Content-Length, when the server sent one. */
  size?: number;
}

/** Counts body bytes so a server that lies about or omits its length cannot fill the flash. */
function byteLimit(url: string, maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > maxBytes) cb(new DownloadError('too-big', url, `more than the ${maxBytes} bytes allowed`));
      else cb(null, chunk);
    },
  });
}

export function downloadImage(url: string, opts: DownloadOptions): Promise<Download> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new DownloadError('bad-url', url, 'not a URL'));
  }
  const client = parsed.protocol === 'http:' ? http : parsed.protocol === 'https:' ? https : undefined;
  if (!client) return Promise.reject(new DownloadError('bad-url', url, `scheme ${parsed.protocol} is not supported; use http:// or https://`));

  return new Promise<Download>((resolve, reject) => {
    // One connection per download: a pooled keep-alive socket would outlive the transfer.
    const req = client.get(parsed, { agent: false });
    let body: Transform | undefined;
    const fail = (e: Error) => {
      const err = e instanceof DownloadError ? e : new DownloadError('network', url, e.message);
      // Before the response the promise says it; after, the body stream the consumer reads.
      if (!body) reject(err);
      else if (!body.destroyed) body.destroy(err);
      req.destroy();
    };
    req.setTimeout(opts.timeoutMs, () => fail(new DownloadError('timeout', url, `no data for ${opts.timeoutMs} ms`)));
    req.on('error', fail);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const header = res.headers['content-length'];
      const size = header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
      if (status !== 200) {
        return fail(new DownloadError('status', url, `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
      }
      if (opts.maxBytes !== undefined && size !== undefined && size > opts.maxBytes) {
        return fail(new DownloadError('too-big', url, `${size} bytes, more than the ${opts.maxBytes} allowed`));
      }
      body = byteLimit(url, opts.maxBytes ?? Number.MAX_SAFE_INTEGER);
      // An error before the consumer attaches (an oversize body buffered ahead) must not go
      // unhandled: the stream keeps it, and reading it rejects with it.
      body.on('error', () => undefined);
      res.on('error', fail);
      // A consumer that stops reading (a refused image) closes the connection with it.
      body.on('close', () => req.destroy());
      res.pipe(body);
      resolve(size === undefined ? { stream: body } : { stream: body, size });
    });
  });
}
