/**
 * The board's side of `deskbox push` for real over loopback HTTP: chunks checked as they
 * arrive, a bad chunk fetched from the next source, an interrupted transfer resumed with only
 * the missing bytes, a lying manifest refused with `dest` untouched, the file served to peers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { createPushCommands } from '../../board/push/commands.ts';
import { answer, handleCommand } from '../../board/commands.ts';
import { systemClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import type { Reply } from '../../broker/contract/payloads.ts';
import { buildPushManifest } from '../../host/push/build-manifest.ts';
import type { PushDoneResult, PushFetchResult, PushManifest } from '../../broker/contract/commands/push.ts';
import { tempDirs } from '../support/temp-dir.ts';
import { startSource, type TestSource } from './fixtures/push-source.ts';

const MiB = 1 << 20;
const temps = tempDirs();
const sources: TestSource[] = [];
const push = createPushCommands({ clock: systemClock(), logger: memoryLogger('push'), stallTimeoutMs: 5000 });
const data = randomBytes(3 * MiB + MiB / 2);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let dir = '';
let manifest: PushManifest;

test.before(async () => {
  dir = await temps.make('deskbox-push-');
  await writeFile(join(dir, 'source.bin'), data);
  manifest = await buildPushManifest(join(dir, 'source.bin'), '/data/{board}/file.bin');
});

test.after(async () => {
  await push.close();
  await Promise.all(sources.map((s) => s.close()));
  await temps.removeAll();
});

const source = async (faults?: Parameters<typeof startSource>[1]) => {
  const s = await startSource(data, faults);
  sources.push(s);
  return s;
};

/** A push.* request through the agent's command routing, as an MQTT request would go. */
const ask = (op: string, args: Record<string, unknown>): Promise<Reply> =>
  handleCommand({ v: 1, id: 'r1', op, args }, { handlers: push.handlers, now: () => Date.now() });

const fetchOk = async (args: Record<string, unknown>): Promise<PushFetchResult> => {
  const reply = await ask('push.fetch', args);
  if (!reply.ok) throw new Error(`push.fetch failed: ${reply.error.code}: ${reply.error.message}`);
  return reply.result as PushFetchResult;
};

/** A GET from a board's peer server, as its children in the tree would do. */
const peerGet = (url: string, range: string) => new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
  get(url, { headers: { range }, agent: false }, (res) => {
    const parts: Buffer[] = [];
    res.on('data', (p: Buffer) => parts.push(p)).on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) })).on('error', reject);
  }).on('error', reject);
});

test('manifest: one hash per MiB chunk, the whole file\'s hash, an id from hash and dest', () => {
  assert.is(manifest.chunks.length, 4);
  assert.is(manifest.sha256, sha(data));
  assert.is(manifest.chunks[3], sha(data.subarray(3 * MiB)));
  assert.match(manifest.id, /^[0-9a-f]{16}$/);
});

test('a complete transfer is verified, renamed into place and served to peers until push.done', async () => {
  const host = await source();
  const dest = join(dir, 'complete', 'file.bin');
  const r = await fetchOk({ manifest, dest, sources: [host.url] });
  assert.equal([r.bytes, r.fetched, r.resumedBytes, r.sha256, r.failedSources], [data.length, data.length, 0, sha(data), []]);
  assert.is(sha(await readFile(dest)), sha(data));
  assert.not.ok(existsSync(`${dest}.deskbox-part`) || existsSync(`${dest}.deskbox-part.json`), 'no part file left');

  // Two peers in turn: the file stays open for the second after the first is served.
  for (let i = 0; i < 2; i++) {
    const peer = await peerGet(r.servingAt, 'bytes=1048576-1048675');
    assert.is(peer.status, 206);
    assert.ok(peer.body.equals(data.subarray(MiB, MiB + 100)));
  }

  // Run again: the file is there and whole, so nothing is fetched.
  const again = await fetchOk({ manifest, dest, sources: [host.url] });
  assert.equal([again.fetched, again.resumedBytes], [0, data.length]);

  const done = (await ask('push.done', { id: manifest.id })) as Reply & { result: PushDoneResult };
  assert.equal([done.ok, done.result.served, done.result.servedBytes, done.result.requests], [true, true, 200, 2]);
  const gone = await peerGet(r.servingAt, 'bytes=0-9').catch((e: NodeJS.ErrnoException) => e.code);
  assert.is(gone, 'ECONNREFUSED', 'nothing listens once the last file is done');
});

test('a chunk that fails its hash is fetched from the next source; the file is right', async () => {
  const liar = await source({ corruptAt: 2 * MiB + 5 });
  const good = await source();
  const dest = join(dir, 'corrupt', 'file.bin');
  const r = await fetchOk({ manifest, dest, sources: [liar.url, good.url] });
  assert.is(sha(await readFile(dest)), sha(data));
  assert.is(r.failedSources.length, 1);
  assert.match(r.failedSources[0]!.error, 'chunk 2 (bytes 2097152-3145727) does not match its hash');
  assert.is(good.bytesSent(), data.length - 2 * MiB, 'the good source sent chunk 2 onwards only');
  await answer(push.handlers, 'push.done', { id: manifest.id });
});

test('an interrupted transfer resumes: only the missing chunks are fetched', async () => {
  const dying = await source({ dieAfter: MiB + MiB / 2 });
  const dest = join(dir, 'resume', 'file.bin');
  const first = await ask('push.fetch', { manifest, dest, sources: [dying.url] });
  assert.is(first.ok, false);
  assert.match(!first.ok ? first.error.code : '', 'failed');
  assert.not.ok(existsSync(dest), 'dest does not exist half-written');
  assert.ok(existsSync(`${dest}.deskbox-part`) && existsSync(`${dest}.deskbox-part.json`), 'the part is kept for a rerun');

  const rescue = await source();
  const r = await fetchOk({ manifest, dest, sources: [rescue.url] });
  assert.equal([r.resumedBytes, r.fetched], [MiB, data.length - MiB]);
  assert.is(rescue.bytesSent(), data.length - MiB, 'the second source sent only what was missing');
  assert.is(sha(await readFile(dest)), sha(data));
  assert.not.ok(existsSync(`${dest}.deskbox-part.json`));
  await answer(push.handlers, 'push.done', { id: manifest.id });
});

test('a manifest whose whole-file hash lies is refused and dest keeps its old content', async () => {
  const host = await source();
  const dest = join(dir, 'lie', 'file.bin');
  await mkdir(join(dir, 'lie'));
  await writeFile(dest, 'old content\n');
  const lying = { ...manifest, sha256: sha(Buffer.from('something else')) };
  const reply = await ask('push.fetch', { manifest: lying, dest, sources: [host.url] });
  assert.equal(reply.ok ? 'ok' : reply.error.code, 'bad-args');
  assert.match(reply.ok ? '' : reply.error.message, 'the manifest is inconsistent');
  assert.is(await readFile(dest, 'utf8'), 'old content\n');
  assert.not.ok(existsSync(`${dest}.deskbox-part`), 'a part no run could finish is removed');
});

test('bad arguments get clear bad-args replies', async () => {
  const host = 'http://127.0.0.1:9/file';
  const cases: [string, Record<string, unknown>, string][] = [
    ['push.fetch', { dest: '/tmp/x', sources: [host] }, 'manifest'],
    ['push.fetch', { manifest, dest: 'relative/file', sources: [host] }, 'must be an absolute path'],
    ['push.fetch', { manifest, dest: '/tmp/../etc/passwd', sources: [host] }, '".." segments'],
    ['push.fetch', { manifest, dest: '/proc/self/mem', sources: [host] }, 'under /proc'],
    ['push.fetch', { manifest, dest: '/tmp/x/', sources: [host] }, 'names a folder'],
    ['push.fetch', { manifest, dest: '/tmp/x', sources: [] }, 'sources'],
    ['push.fetch', { manifest: { ...manifest, chunks: manifest.chunks.slice(1) }, dest: '/tmp/x', sources: [host] }, 'one hash per chunkSize'],
    ['push.fetch', { manifest: { ...manifest, chunkSize: 1000 }, dest: '/tmp/x', sources: [host] }, 'chunkSize'],
    ['push.done', { id: 'nope' }, 'id'],
  ];
  for (const [op, args, message] of cases) {
    const reply = await ask(op, args);
    assert.equal(reply.ok ? 'ok' : reply.error.code, 'bad-args', `${op} ${JSON.stringify(args).slice(0, 80)}`);
    assert.match(reply.ok ? '' : reply.error.message, message);
  }
  const unknown = await ask('push.nope', {});
  assert.equal(unknown.ok ? 'ok' : unknown.error.code, 'unknown-op');
});

test.run();
