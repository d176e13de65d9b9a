import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, lstat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lineSplitter, openReadinessChannel, type ReadinessChannel } from '../../board/guests/readiness.ts';
import { manualClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { waitFor } from '../support/wait.ts';
import { tempDirs } from '../support/temp-dir.ts';

const temps = tempDirs();
const opened: ReadinessChannel[] = [];
// A channel left open (a failed assertion skips a test's close) would keep the run alive.
test.after(async () => {
  await Promise.all(opened.map((ch) => ch.close()));
  await temps.removeAll();
});

const tempDir = () => temps.make('deskbox-ready-');

async function open(path: string, onReady: (id: string, at: number) => void, deps: Parameters<typeof openReadinessChannel>[2]) {
  const ch = await openReadinessChannel(path, onReady, deps);
  opened.push(ch);
  return ch;
}

async function channel() {
  const clock = manualClock();
  const logger = memoryLogger();
  const seen: Array<[string, number]> = [];
  const ch = await open(join(await tempDir(), 'ready'), (id, at) => seen.push([id, at]), { clock, logger });
  return { clock, logger, seen, ch, ids: () => seen.map(([id]) => id) };
}

test('ids arrive in order, stamped with the monotonic clock', async () => {
  const { clock, seen, ch } = await channel();
  clock.advance(1234);
  await appendFile(ch.path, 'b01-g0000\nb01-g0001\n');
  await appendFile(ch.path, 'b01-g0002\n');
  await waitFor(() => seen.length === 3, { timeoutMs: 5000, what: 'three ids' });
  assert.equal(seen, [['b01-g0000', 1234], ['b01-g0001', 1234], ['b01-g0002', 1234]]);
  await ch.close();
});

test('500 concurrent writers (one shell each) all arrive, each once', async () => {
  const { ids, ch } = await channel();
  const n = 500;
  const exits = Array.from({ length: n }, (_, i) => new Promise<number | null>((resolve, reject) => {
    const sh = spawn('/bin/sh', ['-c', 'echo "$ID" > "$FIFO"'], { env: { ID: `b07-g${String(i).padStart(4, '0')}`, FIFO: ch.path }, stdio: 'ignore' });
    sh.once('error', reject).once('exit', resolve);
  }));
  assert.ok((await Promise.all(exits)).every((code) => code === 0), 'every writer succeeded');
  await waitFor(() => ids().length >= n, { timeoutMs: 20_000, what: `${n} ids` });
  assert.is(ids().length, n);
  assert.is(new Set(ids()).size, n);
  await ch.close();
});

test('noise is logged and dropped without losing the lines around it', async () => {
  const { ids, logger, ch } = await channel();
  await appendFile(ch.path, `ok-1\n${'x'.repeat(300)}\nbad id!\n\n../etc\r\nok-2\r\n${'y'.repeat(129)}\nok.3\n`);
  await waitFor(() => ids().at(-1) === 'ok.3', { timeoutMs: 5000, what: 'last id' });
  assert.equal(ids(), ['ok-1', 'ok-2', 'ok.3']);
  const warns = logger.records.filter((r) => r.level === 'warn').map((r) => r.msg);
  assert.equal(warns, [
    'readiness: dropped an overlong line',
    'readiness: dropped a line that is not a guest id',
    'readiness: dropped a line that is not a guest id',
    'readiness: dropped a line that is not a guest id',
    'readiness: dropped an overlong line',
  ]);
  await ch.close();
});

test('lineSplitter: partial lines wait for their end; overlong ones are skipped to the newline', () => {
  const lines: string[] = [];
  const overlong: number[] = [];
  const feed = lineSplitter(8, (l) => lines.push(l.toString()), (n) => overlong.push(n));
  for (const chunk of ['ab', 'c\nde', 'f\n', '123456789', '0123\nok', '\n', '12345678\n']) feed(Buffer.from(chunk));
  assert.equal(lines, ['abc', 'def', 'ok', '12345678']);
  assert.equal(overlong, [9]);
  feed(Buffer.from('abcdefghijk\nz\n'));
  assert.equal(lines.at(-1), 'z');
  assert.equal(overlong, [9, 11]);
});

test('a handler that throws is logged and the channel keeps reading', async () => {
  const logger = memoryLogger();
  const seen: string[] = [];
  const ch = await open(join(await tempDir(), 'ready'), (id) => {
    if (id === 'boom') throw new Error('handler bug');
    seen.push(id);
  }, { clock: manualClock(), logger });
  await appendFile(ch.path, 'boom\nafter\n');
  await waitFor(() => seen.length === 1, { timeoutMs: 5000, what: 'the id after the failing one' });
  assert.ok(logger.records.some((r) => r.level === 'error' && r.fields?.error === 'handler bug'));
  await ch.close();
});

test('a stale file is replaced, an existing FIFO reused; close removes it and is idempotent', async () => {
  const path = join(await tempDir(), 'ready');
  await writeFile(path, 'stale');
  const logger = memoryLogger();
  const first = await open(path, () => {}, { clock: manualClock(), logger });
  const st = await lstat(path);
  assert.ok(st.isFIFO());
  assert.is(st.mode & 0o777, 0o600);
  assert.ok(logger.records.some((r) => r.msg === 'readiness: replacing a stale file'));

  // An agent that died leaves its FIFO; the next one opens the same inode.
  const second = await open(path, () => {}, { clock: manualClock(), logger });
  assert.is((await lstat(path)).ino, st.ino);
  await first.close();
  assert.not.ok(existsSync(path));
  await second.close();
  await Promise.all([first.close(), second.close()]);
});

test.run();
