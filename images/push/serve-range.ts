/**
 * Answers one HTTP request for a file with Range support (a single range; RFC 9110 lets a
 * server ignore the rest). The host serving a push and every board serving its peers use it,
 * each on a file it holds open, so the bytes served are those of the file it opened even if
 * the path is replaced meanwhile.
 */
import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, pipeline } from 'node:stream';

const READ_SIZE = 64 * 1024;

export interface ByteRange {
  /** Both inclusive, as in the header. */
  start: number;
  end: number;
}

/** undefined: the whole file (no header, or one this server chooses to ignore). */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? 'unsatisfiable' : { start, end };
}

export interface ServedFile {
  fh: FileHandle;
  size: number;
  /** Called with each piece of the body as it goes out. */
  onBytes?(n: number): void;
}

export function serveFileRange(req: IncomingMessage, res: ServerResponse, file: ServedFile): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const range = parseRange(req.headers.range, file.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'content-range': `bytes */${file.size}` }).end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: file.size - 1 };
  const length = end - start + 1;
  res.writeHead(range ? 206 : 200, {
    'content-type': 'application/octet-stream',
    'content-length': length,
    'accept-ranges': 'bytes',
    ...(range ? { 'content-range': `bytes ${start}-${end}/${file.size}` } : {}),
  });
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const body = Readable.from(readRange(file, start, end), { objectMode: false });
  // Ends when the peer goes away too; nothing to report then, the peer retries elsewhere.
  pipeline(body, res, () => undefined);
}

/**
 * Positional reads of the open file. Not fh.createReadStream: destroying that stream (a peer
 * that hangs up) closes the handle, which the next peer's request still needs.
 */
async function* readRange(file: ServedFile, start: number, end: number): AsyncGenerator<Buffer> {
  for (let at = start; at <= end;) {
    const want = Math.min(READ_SIZE, end + 1 - at);
    const { bytesRead, buffer } = await file.fh.read(Buffer.allocUnsafe(want), 0, want, at);
    if (bytesRead === 0) throw new Error(`the file ends at byte ${at}, before the ${end + 1} it had`);
    at += bytesRead;
    file.onBytes?.(bytesRead);
    yield buffer.subarray(0, bytesRead);
  }
}
