/**
 * The entry rules of an image archive (docs/images.md, "Archive"), as a pure checker: no I/O,
 * so the packer, the extractor and `deskbox image verify` all refuse exactly the same archives.
 * An archive that passes can be unpacked without any entry landing outside the destination,
 * provided the extractor never follows a link it meets.
 */

export class ArchiveError extends Error {
  constructor(readonly entry: string, readonly detail: string) {
    super(`archive entry ${JSON.stringify(entry)}: ${detail}`);
    this.name = 'ArchiveError';
  }
}

export type EntryKind = 'directory' | 'file' | 'symlink' | 'link';

export interface EntryInfo {
  name: string;
  /** tar-stream's `header.type`. */
  type: string;
  linkname?: string | null;
  size?: number;
  mode?: number;
}

export interface CheckedEntry {
  /** Relative and normalised; '' for the archive's root directory (`./`). */
  path: string;
  kind: EntryKind;
  /** Hard links only: the normalised path of the earlier regular file. */
  target?: string;
}

export interface ArchiveRules {
  /** Throws ArchiveError naming the rule; on success the entry counts as seen. */
  check(e: EntryInfo): CheckedEntry;
  readonly entries: number;
  readonly unpackedBytes: number;
}

const KINDS: readonly string[] = ['directory', 'file', 'symlink', 'link'];

/** Returns the normalised path, or the broken rule. */
function normalise(name: string, directory: boolean): { path: string } | { refused: string } {
  if (name.includes('\0')) return { refused: 'path contains a NUL byte' };
  if (name === '') return { refused: 'empty path' };
  if (name.startsWith('/')) return { refused: 'absolute path' };
  // `./` and `.` are how tar names the root of what it packed; only a directory can be it.
  if (directory && (name === '.' || name === './')) return { path: '' };
  let path = name.startsWith('./') ? name.slice(2) : name;
  if (directory && path.endsWith('/')) path = path.slice(0, -1);
  const parts = path.split('/');
  if (parts.includes('..')) return { refused: 'path contains a `..` component' };
  if (path === '' || parts.some((p) => p === '' || p === '.')) {
    return { refused: 'path is not normalized (empty or `.` component)' };
  }
  return { path };
}

export function createArchiveRules(): ArchiveRules {
  const seen = new Map<string, EntryKind>();
  let entries = 0;
  let unpackedBytes = 0;

  const check = (e: EntryInfo): CheckedEntry => {
    const refuse = (detail: string) => new ArchiveError(e.name, detail);
    if (!KINDS.includes(e.type)) throw refuse(`${e.type} entries are not allowed`);
    const kind = e.type as EntryKind;
    const n = normalise(e.name, kind === 'directory');
    if ('refused' in n) throw refuse(n.refused);
    const { path } = n;

    // A symlink on the way would let a later entry land anywhere its target points.
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (seen.get(prefix) === 'symlink') throw refuse(`path goes through the symlink ${JSON.stringify(prefix)} created earlier`);
    }
    if (seen.has(path)) throw refuse('path appears twice in the archive');

    let target: string | undefined;
    if (kind === 'link') {
      const t = normalise(e.linkname ?? '', false);
      if (!('path' in t) || seen.get(t.path) !== 'file') {
        throw refuse(`hard link target ${JSON.stringify(e.linkname ?? '')} is not an earlier regular file`);
      }
      target = t.path;
    }
    // Symlink targets may point anywhere (absolute targets are normal in a rootfs), but one
    // that cannot be created is a broken archive, not a filesystem error on the board.
    if (kind === 'symlink' && (!e.linkname || e.linkname.includes('\0'))) throw refuse('symlink target is empty or contains a NUL byte');
    const size = kind === 'file' ? e.size ?? 0 : 0;
    if (!Number.isSafeInteger(size) || size < 0) throw refuse(`invalid size ${size}`);

    seen.set(path, kind);
    entries += 1;
    unpackedBytes += size;
    return target === undefined ? { path, kind } : { path, kind, target };
  };

  return {
    check,
    get entries() { return entries; },
    get unpackedBytes() { return unpackedBytes; },
  };
}
