import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import tar from 'tar-stream';
import { ArchiveError, createArchiveRules } from './rules.ts';

/**
 * Deterministic packing: the same files always give the same archive bytes, hence the same
 * `payload.sha256`, so an unchanged image rebuilds to an identical file and flashing sends
 * nothing. Nothing that varies between machines or builds (times, owners) goes in.
 */

export interface PackSource {
  /** Archive path, relative and normalised; '' is the root directory (written as `./`). */
  path: string;
  kind: 'directory' | 'file' | 'symlink';
  mode: number;
  size?: number;
  linkname?: string;
  /** For files: where to read the bytes. */
  from?: string;
  /** Or the bytes themselves. */
  data?: Buffer;
}

/** Byte order of the UTF-8 paths, which is what `LC_ALL=C sort` gives: not locale dependent. */
const byPath = (a: PackSource, b: PackSource) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path));

const TYPE_BITS = { directory: constants.S_IFDIR, file: constants.S_IFREG, symlink: constants.S_IFLNK } as const;

/**
 * The tree under `root` as pack sources, root directory included (its mode is the guest's `/`).
 * Symlinks are packed as links, never followed. Hard links become separate plain files: rootfs
 * trees rarely have them and copies keep packing stateless. Device nodes, FIFOs and sockets
 * cannot be in an image; they are left out and reported.
 */
export async function listTree(root: string, opts: { onSkip?(path: string, why: string): void } = {}): Promise<PackSource[]> {
  const out: PackSource[] = [];
  const visit = async (path: string): Promise<void> => {
    const full = path === '' ? root : join(root, path);
    const fail = (e: Error) => { throw new ArchiveError(path, `cannot read ${full}: ${e.message}`); };
    const st: Stats = await lstat(full).catch(fail);
    const mode = st.mode & 0o7777;
    if (st.isDirectory()) {
      out.push({ path, kind: 'directory', mode });
      for (const name of await readdir(full).catch(fail)) await visit(path === '' ? name : `${path}/${name}`);
    } else if (st.isFile()) {
      out.push({ path, kind: 'file', mode, size: st.size, from: full });
    } else if (st.isSymbolicLink()) {
      out.push({ path, kind: 'symlink', mode, linkname: await readlink(full).catch(fail) });
    } else {
      const what = st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : st.isCharacterDevice() ? 'character device' : 'block device';
      opts.onSkip?.(path, `${what}: not allowed in an image archive`);
    }
  };
  const top = await lstat(root).catch((e: Error) => { throw new ArchiveError('', `cannot read ${root}: ${e.message}`); });
  if (!top.isDirectory()) throw new ArchiveError('', `${root} is not a directory`);
  await visit('');
  return out.sort(byPath);
}

/**
 * The tar bytes of `sources`, sorted by path. Throws ArchiveError at once for a source the
 * reader would refuse, so deskbox never writes an archive it cannot unpack. File bytes are
 * streamed as the consumer reads; an unreadable or changed file makes the stream error.
 */
export function packArchive(sources: PackSource[]): Readable {
  const sorted = [...sources].sort(byPath);
  const rules = createArchiveRules();
  for (const s of sorted) {
    rules.check({ name: entryName(s), type: s.kind, linkname: s.linkname, size: s.data?.length ?? s.size ?? 0 });
    if (s.kind === 'file' && !s.data && (s.from === undefined || s.size === undefined)) {
      throw new ArchiveError(s.path, 'a file source needs `data`, or `from` and `size`');
    }
  }
  const pack = tar.pack();
  writeEntries(pack, sorted).catch((e: Error) => pack.destroy(e));
  return Readable.from(pack, { objectMode: false });
}

function entryName(s: PackSource): string {
  if (s.kind !== 'directory') return s.path;
  return s.path === '' ? './' : `${s.path}/`;
}

async function writeEntries(pack: tar.Pack, sources: PackSource[]): Promise<void> {
  for (const s of sources) {
    if (pack.destroyed) return;
    const header: tar.Headers = {
      name: entryName(s),
      type: s.kind,
      // tar-stream swaps a falsy mode for its default; the type bits keep a 0o000 mode
      // non-zero and its encoder keeps only the permission bits.
      mode: (s.mode & 0o7777) | TYPE_BITS[s.kind],
      size: s.kind === 'file' ? s.data?.length ?? s.size ?? 0 : 0,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
      ...(s.kind === 'symlink' ? { linkname: s.linkname } : {}),
    };
    if (s.kind === 'file' && !s.data && header.size) {
      await streamFile(pack, header, s.from ?? '');
      continue;
    }
    const body = s.kind === 'file' ? s.data ?? Buffer.alloc(0) : undefined;
    await new Promise<void>((resolve, reject) => {
      const done = (e?: Error | null) => (e ? reject(e) : resolve());
      if (body) pack.entry(header, body, done);
      else pack.entry(header, done);
    });
  }
  if (!pack.destroyed) pack.finalize();
}

async function streamFile(pack: tar.Pack, header: tar.Headers, from: string): Promise<void> {
  let settle: (e?: Error | null) => void = () => {};
  const entryDone = new Promise<void>((resolve, reject) => { settle = (e) => (e ? reject(e) : resolve()); });
  entryDone.catch(() => {}); // awaited only on success; a failure is thrown below instead
  const sink = pack.entry(header, (e) => settle(e));
  sink.on('error', () => {}); // tar-stream passes an entry's error on to the pack stream itself
  let input: Readable | undefined;
  try {
    // Read exactly the announced size: a file that grew is cut, one that shrank fails the entry.
    const fh = await open(from, constants.O_RDONLY | constants.O_NOFOLLOW);
    input = fh.createReadStream({ end: (header.size ?? 0) - 1 });
    for await (const chunk of input) {
      if (!sink.write(chunk)) await drainedOrClosed(sink);
      if (sink.destroyed) throw new Error('archive stream closed');
    }
    sink.end();
  } catch (e) {
    const err = new ArchiveError(header.name, `cannot read ${from}: ${(e as Error).message}`);
    sink.destroy(err);
    throw err;
  } finally {
    input?.destroy();
  }
  await entryDone;
}

/**
 * Resolves once `w` takes writes again, or once it is gone (a reader that went away must not
 * leave the writer waiting forever). Shared with extract.ts.
 */
export function drainedOrClosed(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { w.off('drain', done); w.off('close', done); resolve(); };
    w.on('drain', done);
    w.on('close', done);
  });
}
