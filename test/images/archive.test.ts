import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { extractArchive, listArchive } from '../../images/archive/extract.ts';
import { listTree, packArchive, type PackSource } from '../../images/archive/pack.ts';
import { ArchiveError, createArchiveRules, type EntryInfo } from '../../images/archive/rules.ts';
import { tempDir as tempDirIn, tempDirs } from '../support/temp-dir.ts';

const temps = tempDirs();
const tempDir = () => temps.make('deskbox-archive-');
test.after.each(() => temps.removeAll());

const collect = async (r: Readable) => { const parts: Buffer[] = []; for await (const c of r) parts.push(c as Buffer); return Buffer.concat(parts); };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A hang is a failure too: a broken archive must settle `done`. */
function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`still pending after ${ms} ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A tree with everything a rootfs has: nested folders, odd modes, links, a big file, long and non-ASCII names. */
async function makeTree(root: string): Promise<void> {
  await chmod(root, 0o755);
  await mkdir(join(root, 'bin'));
  await mkdir(join(root, 'etc/deep/nested'), { recursive: true });
  await mkdir(join(root, 'secret'), { mode: 0o700 });
  await mkdir(join(root, 'ro'));
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(root, 'etc/deep/nested/empty'), '');
  await writeFile(join(root, 'bin/tool'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'bin/tool'), 0o755);
  await writeFile(join(root, 'secret/key'), 'k');
  await chmod(join(root, 'secret/key'), 0o600);
  const big = Buffer.alloc(3 * 1024 * 1024 + 123);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
  await writeFile(join(root, 'big.bin'), big);
  await writeFile(join(root, 'ro/inside'), 'in a read-only folder');
  await chmod(join(root, 'ro'), 0o555);
  await symlink('tool', join(root, 'bin/sh'));
  await symlink('/etc/passwd', join(root, 'abs-link'));
  const long = `${'x'.repeat(60)}/${'y'.repeat(60)}/${'z'.repeat(110)}.txt`;
  await mkdir(join(root, long, '..'), { recursive: true });
  await writeFile(join(root, long), 'long name');
  await writeFile(join(root, 'café é.txt'), 'unicode');
}

/** Everything extraction must keep: kinds, modes, sizes, link targets, contents. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of await listTree(root)) {
    const body = s.kind === 'file' ? sha(await readFile(join(root, s.path))) : s.kind === 'symlink' ? s.linkname : '';
    out[s.path] = `${s.kind} ${s.kind === 'symlink' ? '' : s.mode.toString(8)} ${s.size ?? ''} ${body}`;
  }
  return out;
}

/** Builds an archive straight with tar-stream: how a hostile or foreign writer would. */
async function craft(entries: Array<{ header: tar.Headers; data?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  const out = collect(Readable.from(pack));
  for (const { header, data } of entries) {
    await new Promise<void>((res, rej) => pack.entry({ mtime: new Date(0), ...header }, data ?? '', (e) => (e ? rej(e) : res())));
  }
  pack.finalize();
  return out;
}

async function extractBytes(bytes: Buffer, dest: string) {
  const { writable, done } = extractArchive(dest);
  void pipeline(Readable.from([bytes]), writable).catch(() => {});
  return within(done);
}

async function refusal(p: Promise<unknown>): Promise<ArchiveError> {
  const e = await within(p).then(() => undefined, (err: unknown) => err);
  assert.instance(e, ArchiveError, `expected an ArchiveError, got ${String(e)}`);
  return e as ArchiveError;
}

test('packing the same tree twice gives the same bytes, with no times or owners in them', async () => {
  const src = await tempDir();
  await makeTree(src);
  const a = await collect(packArchive(await listTree(src)));
  const b = await collect(packArchive((await listTree(src)).reverse()));
  assert.is(sha(a), sha(b));
  const names: string[] = [];
  for await (const entry of Readable.from([a]).pipe(tar.extract())) {
    const h = entry.header;
    names.push(h.name);
    assert.is(h.mtime?.getTime(), 0, h.name);
    assert.equal([h.uid, h.gid, h.uname, h.gname], [0, 0, '', ''], h.name);
    entry.resume();
  }
  assert.equal(names.slice(0, 4), ['./', 'abs-link', 'big.bin', 'bin/']);
  assert.ok(names.includes('ro/'));
});

test('pack then extract gives the same tree: contents, modes, symlink targets', async () => {
  const src = await tempDir();
  const dest = await tempDir();
  await makeTree(src);
  const sources = await listTree(src);
  const { writable, done } = extractArchive(dest, { onFile: (p, size) => files.push(`${p}:${size}`) });
  const files: string[] = [];
  await pipeline(packArchive(sources), writable);
  const result = await within(done);
  const fileSources = sources.filter((s) => s.kind === 'file');
  assert.equal(result, { entries: sources.length, unpackedBytes: fileSources.reduce((n, s) => n + (s.size ?? 0), 0) });
  assert.equal(files.sort(), fileSources.map((s) => `${s.path}:${s.size}`).sort());
  assert.equal(await snapshot(dest), await snapshot(src));
  assert.is((await lstat(join(dest, 'ro'))).mode & 0o7777, 0o555);
  assert.is((await lstat(dest)).mode & 0o7777, 0o755, 'the root entry gives dest its mode');
});

test('listArchive counts what packArchive wrote and writes nothing', async () => {
  const src = await tempDir();
  await makeTree(src);
  const sources = await listTree(src);
  const listed = await within(listArchive(packArchive(sources)));
  assert.is(listed.entries, sources.length);
  assert.is(listed.unpackedBytes, sources.reduce((n, s) => n + (s.kind === 'file' ? s.size ?? 0 : 0), 0));
  assert.equal(listed.paths, sources.map((s) => s.path));
  const rules = createArchiveRules();
  await listArchive(packArchive(sources), rules);
  assert.is(rules.entries, sources.length);
});

test('inline data, mode 0 and a file before its folder round-trip; parents are created', async () => {
  const dest = await tempDir();
  const sources: PackSource[] = [
    { path: 'conf/a.json', kind: 'file', mode: 0o644, data: Buffer.from('{}') },
    { path: 'locked', kind: 'file', mode: 0, data: Buffer.from('x') },
  ];
  assert.equal(await extractBytes(await collect(packArchive(sources)), dest), { entries: 2, unpackedBytes: 3 });
  assert.is(await readFile(join(dest, 'conf/a.json'), 'utf8'), '{}');
  assert.is((await lstat(join(dest, 'locked'))).mode & 0o7777, 0);
  // GNU tar style: `./` prefixes, a file listed before its folder, a valid hard link.
  const foreign = await craft([
    { header: { name: './d/f', type: 'file', mode: 0o640 }, data: 'hello' },
    { header: { name: './d/', type: 'directory', mode: 0o750 } },
    { header: { name: './d/hard', type: 'link', linkname: './d/f' } },
  ]);
  const dest2 = await tempDir();
  assert.equal(await extractBytes(foreign, dest2), { entries: 3, unpackedBytes: 5 });
  assert.is((await lstat(join(dest2, 'd'))).mode & 0o7777, 0o750);
  assert.is((await lstat(join(dest2, 'd/hard'))).ino, (await lstat(join(dest2, 'd/f'))).ino);
});

test('rules: each refusal names its rule', () => {
  const table: Array<[EntryInfo[], string]> = [
    [[{ name: '/etc/x', type: 'file' }], 'absolute path'],
    [[{ name: '', type: 'file' }], 'empty path'],
    [[{ name: '../evil', type: 'file' }], '`..` component'],
    [[{ name: 'a/../../b', type: 'file' }], '`..` component'],
    [[{ name: 'a\0b', type: 'file' }], 'NUL byte'],
    [[{ name: 'a//b', type: 'file' }], 'not normalized'],
    [[{ name: 'a/./b', type: 'file' }], 'not normalized'],
    [[{ name: '././a', type: 'file' }], 'not normalized'],
    [[{ name: 'a/', type: 'file' }], 'not normalized'],
    [[{ name: '.', type: 'file' }], 'not normalized'],
    [[{ name: 'l', type: 'symlink', linkname: '/tmp' }, { name: 'l/evil', type: 'file' }], 'through the symlink "l"'],
    [[{ name: 'l', type: 'symlink', linkname: '.' }, { name: 'l/x/', type: 'directory' }], 'through the symlink "l"'],
    [[{ name: 'a', type: 'file' }, { name: './a', type: 'file' }], 'appears twice'],
    [[{ name: './', type: 'directory' }, { name: '.', type: 'directory' }], 'appears twice'],
    [[{ name: 'h', type: 'link', linkname: 'nowhere' }], 'hard link target "nowhere" is not an earlier regular file'],
    [[{ name: 's', type: 'symlink', linkname: 'x' }, { name: 'h', type: 'link', linkname: 's' }], 'not an earlier regular file'],
    [[{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }], 'not an earlier regular file'],
    [[{ name: 'h', type: 'link', linkname: 'h' }], 'not an earlier regular file'],
    [[{ name: 'dev/null', type: 'character-device' }], 'character-device entries are not allowed'],
    [[{ name: 'p', type: 'fifo' }], 'fifo entries are not allowed'],
    [[{ name: 'x', type: 'unknown-type' }], 'unknown-type entries are not allowed'],
    [[{ name: 's', type: 'symlink', linkname: '' }], 'symlink target is empty'],
    [[{ name: 'f', type: 'file', size: -1 }], 'invalid size'],
  ];
  for (const [entries, rule] of table) {
    const rules = createArchiveRules();
    const last = entries[entries.length - 1]!;
    for (const e of entries.slice(0, -1)) rules.check(e);
    try {
      rules.check(last);
      assert.unreachable(`${JSON.stringify(entries)} passed`);
    } catch (e) {
      assert.instance(e, ArchiveError);
      const err = e as ArchiveError;
      assert.is(err.name, 'ArchiveError');
      assert.is(err.entry, last.name);
      assert.ok(err.message.startsWith(`archive entry ${JSON.stringify(last.name)}: `), err.message);
      assert.ok(err.detail.includes(rule), `${JSON.stringify(last)}: "${err.detail}" should say "${rule}"`);
    }
  }
});

test('rules: normalisation, the root entry, counts', () => {
  const rules = createArchiveRules();
  assert.equal(rules.check({ name: './', type: 'directory', mode: 0o755 }), { path: '', kind: 'directory' });
  assert.equal(rules.check({ name: './bin/', type: 'directory' }), { path: 'bin', kind: 'directory' });
  assert.equal(rules.check({ name: 'bin/busybox', type: 'file', size: 1000 }), { path: 'bin/busybox', kind: 'file' });
  assert.equal(rules.check({ name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' }), { path: 'bin/sh', kind: 'symlink' });
  assert.equal(rules.check({ name: 'bin/ash', type: 'link', linkname: './bin/busybox' }), { path: 'bin/ash', kind: 'link', target: 'bin/busybox' });
  assert.equal(rules.check({ name: 'bin/shell', type: 'file', size: 24 }), { path: 'bin/shell', kind: 'file' }, 'a sibling sharing a prefix is not "through" the link');
  assert.is(rules.entries, 6);
  assert.is(rules.unpackedBytes, 1024);
  assert.throws(() => rules.check({ name: 'bin/busybox', type: 'file' }), /appears twice/);
  assert.is(rules.entries, 6, 'a refused entry is not counted');
});

test('malicious archives are refused and nothing lands outside dest', async () => {
  const base = await tempDir();
  const outside = join(base, 'outside');
  await mkdir(outside);
  const cases: Array<[string, Array<{ header: tar.Headers; data?: string }>, string]> = [
    ['../evil', [{ header: { name: '../evil', type: 'file' }, data: 'x' }], '`..`'],
    ['/etc/x', [{ header: { name: `${outside}/x`, type: 'file' }, data: 'x' }], 'absolute path'],
    ['a/../../b', [{ header: { name: 'a/', type: 'directory' } }, { header: { name: 'a/../../b', type: 'file' }, data: 'x' }], '`..`'],
    ['through a symlink', [
      { header: { name: 'link', type: 'symlink', linkname: outside } },
      { header: { name: 'link/evil', type: 'file' }, data: 'x' },
    ], 'through the symlink "link"'],
    ['through a symlink to /tmp', [
      { header: { name: 'tmp', type: 'symlink', linkname: tmpdir() } },
      { header: { name: 'tmp/deskbox-archive-evil/', type: 'directory' } },
    ], 'through the symlink "tmp"'],
    ['duplicate', [{ header: { name: 'f', type: 'file' }, data: 'a' }, { header: { name: 'f', type: 'file' }, data: 'b' }], 'appears twice'],
    ['char device', [{ header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 } }], 'character-device entries are not allowed'],
    ['hard link to nothing', [{ header: { name: 'h', type: 'link', linkname: 'missing' } }], 'not an earlier regular file'],
    ['hard link outside', [{ header: { name: 'h', type: 'link', linkname: `${outside}/x` } }], 'not an earlier regular file'],
    ['hard link to a symlink', [
      { header: { name: 's', type: 'symlink', linkname: `${outside}/x` } },
      { header: { name: 'h', type: 'link', linkname: 's' } },
    ], 'not an earlier regular file'],
  ];
  for (const [label, entries, rule] of cases) {
    const bytes = await craft(entries);
    const { path: dest } = await tempDirIn(join(base, 'dest-')); // removed with base
    const err = await refusal(extractBytes(bytes, dest));
    assert.ok(err.detail.includes(rule), `${label}: "${err.message}" should say "${rule}"`);
    const listed = await refusal(listArchive(Readable.from([bytes])));
    assert.is(listed.message, err.message, label);
    assert.equal(await readdir(outside), [], `${label}: wrote outside dest`);
  }
  assert.equal((await readdir(base)).filter((n) => !n.startsWith('dest-')), ['outside']);
  await assert.not.ok(await lstat(join(tmpdir(), 'deskbox-archive-evil')).then(() => true, () => false));
});

test('truncated, corrupt and empty input reject instead of hanging', async () => {
  const src = await tempDir();
  await makeTree(src);
  const whole = await collect(packArchive(await listTree(src)));
  const zeroTail = await collect(packArchive([{ path: 'zeros', kind: 'file', mode: 0o644, data: Buffer.alloc(4096) }]));
  const inputs: Array<[string, Buffer]> = [
    ['cut 100 bytes', whole.subarray(0, whole.length - 100)],
    ['cut one end block', whole.subarray(0, whole.length - 512)],
    ['cut the end marker', whole.subarray(0, whole.length - 1024)],
    ['cut inside the big file', whole.subarray(0, 1024 * 1024)],
    ['cut a file of zeros at its end', zeroTail.subarray(0, zeroTail.length - 1024)],
    ['garbage', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))],
    ['short garbage', Buffer.from('not a tar archive')],
    ['empty', Buffer.alloc(0)],
  ];
  for (const [label, bytes] of inputs) {
    const dest = await tempDir();
    const err = await refusal(extractBytes(bytes, dest));
    assert.ok(/truncated|corrupt|end-of-archive/.test(err.detail), `${label}: ${err.message}`);
    await refusal(listArchive(Readable.from([bytes])));
  }
  const dest = await tempDir();
  assert.equal(await extractBytes(zeroTail, dest), { entries: 1, unpackedBytes: 4096 }, 'the intact archive passes');
});

test('a stopped input rejects done: with the input\'s own error, or as an archive fault when it just ended', async () => {
  const dest = await tempDir();
  const failed = extractArchive(dest);
  failed.writable.write(Buffer.alloc(100));
  const cause = new Error('download failed');
  failed.writable.destroy(cause);
  try {
    await failed.done;
    assert.unreachable('resolved');
  } catch (e) {
    assert.is(e, cause, 'an upstream failure keeps its identity (a bad image block stays a blocks error)');
  }
  const cut = extractArchive(await tempDir());
  cut.writable.write(Buffer.alloc(100));
  cut.writable.destroy();
  const err = await refusal(cut.done);
  assert.match(err.detail, /input stopped before the archive ended/);
});

test('packArchive: bad sources throw at once, an unreadable file errors the stream', async () => {
  assert.throws(() => packArchive([{ path: '../x', kind: 'file', mode: 0o644, data: Buffer.alloc(1) }]), /`\.\.` component/);
  assert.throws(() => packArchive([{ path: 'a', kind: 'directory', mode: 0o755 }, { path: 'a', kind: 'file', mode: 0o644, data: Buffer.alloc(0) }]), /appears twice/);
  assert.throws(() => packArchive([{ path: 'f', kind: 'file', mode: 0o644, from: '/x' }]), /needs `data`/);
  const dir = await tempDir();
  const missing = join(dir, 'missing');
  const stream = packArchive([
    { path: 'a', kind: 'file', mode: 0o644, data: Buffer.from('a') },
    { path: 'b', kind: 'file', mode: 0o644, size: 10, from: missing },
  ]);
  const err = await within(collect(stream)).then(() => undefined, (e: unknown) => e);
  assert.instance(err, ArchiveError);
  assert.match((err as Error).message, /archive entry "b": cannot read .*missing/);
  // A file that shrank after it was listed must not give a silently short archive.
  await writeFile(join(dir, 'shrinks'), 'abc');
  const short = packArchive([{ path: 's', kind: 'file', mode: 0o644, size: 10, from: join(dir, 'shrinks') }]);
  await assert.not.ok(await within(collect(short)).then(() => true, () => false));
});

test('listTree skips and reports a fifo, never follows symlinks', async () => {
  const root = await tempDir();
  await mkdir(join(root, 'd'));
  execFileSync('mkfifo', [join(root, 'd/pipe')]);
  await symlink('/', join(root, 'd/to-root'));
  const skipped: string[] = [];
  const tree = await listTree(root, { onSkip: (p, why) => skipped.push(`${p}: ${why}`) });
  assert.equal(skipped.length, 1);
  assert.match(skipped[0]!, /^d\/pipe: fifo/);
  assert.equal(tree.map((s) => `${s.kind} ${s.path}`), ['directory ', 'directory d', 'symlink d/to-root']);
  assert.is(tree[2]!.linkname, '/');
});

test.run();
