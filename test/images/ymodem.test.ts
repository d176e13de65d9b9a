import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manualClock, systemClock } from '../../platform/clock.ts';
import { crc16Xmodem } from '../../images/serial/crc16.ts';
import { ymodemReceive } from '../../images/serial/ymodem-receive.ts';
import { YmodemError, ymodemSend } from '../../images/serial/ymodem-send.ts';
import { collect, driveClock, memoryLine } from './lossy-line.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { alive, deadline, onPtys as onPtysTracked, type Ptys } from './lrzsz-ptys.ts';

/** Every socat, rb and sb started here, so none outlives its test, nor this file if it crashes. */
const started: number[] = [];
process.once('exit', () => { for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL'); });

const onPtys = (body: (p: Ptys) => Promise<void>) => onPtysTracked((pid) => started.push(pid), body);

const SIZES = [300 * 1024, 1, 1024 * 7];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const settle = <T>(p: Promise<T>): Promise<T | unknown> => p.then((v) => v, (e: unknown) => e);

test('crc16: the CRC-16/XMODEM check value, and in pieces', () => {
  assert.is(crc16Xmodem(Buffer.from('123456789')), 0x31c3);
  assert.is(crc16Xmodem(Buffer.from('6789'), crc16Xmodem(Buffer.from('12345'))), 0x31c3);
  assert.is(crc16Xmodem(Buffer.alloc(0)), 0);
});

for (const size of SIZES) {
  test(`our sender -> lrzsz rb over a pty: ${size} bytes arrive intact`, () => onPtys(async (p) => {
    const data = randomBytes(size);
    const host = await p.open('host');
    const rb = p.spawn('rb', [], 'board');
    const ac = new AbortController();
    let progress = 0;
    const sending = ymodemSend(host, { name: 'image.bin', size, data }, { clock: systemClock(), timeoutMs: 5000, signal: ac.signal, onProgress: (n) => { progress = n; } });
    // lrzsz quirk: rb may leave without its last ACK getting through, so its exit ends the transfer.
    const failed = sending.then(() => new Promise<never>(() => undefined));
    const exit = await Promise.race([deadline(rb.exited, 30_000, () => `rb did not finish: ${rb.stderr()}`), failed]);
    ac.abort();
    const outcome = await settle(sending);
    assert.is(exit.code, 0, rb.stderr());
    assert.is(sha(await readFile(join(p.dir, 'image.bin'))), sha(data));
    assert.is(progress, size);
    if (outcome instanceof YmodemError) assert.is(outcome.code, 'aborted', outcome.message);
    else assert.is((outcome as { bytes: number }).bytes, size);
  }));

  test(`lrzsz sb -k -> our receiver over a pty: ${size} bytes arrive intact`, () => onPtys(async (p) => {
    const data = randomBytes(size);
    await writeFile(join(p.dir, 'image.bin'), data);
    const board = await p.open('board');
    const sink = collect();
    // Short enough that a first 'C' sb flushed away as it started is soon asked again.
    const receiving = ymodemReceive(board, sink, { clock: systemClock(), timeoutMs: 2000 });
    const sb = p.spawn('sb', ['-k', 'image.bin'], 'host');
    // sb can exit before our last ACK has drained, so only a failed sb ends the wait early.
    const died = sb.exited.then((e) => {
      if (e.code !== 0) throw new Error(`sb exited (${e.code ?? e.signal}) first: ${sb.stderr()}`);
      return receiving;
    });
    const got = await Promise.race([deadline(receiving, 30_000, () => 'no file from sb'), died]);
    assert.equal(got, { name: 'image.bin', size, bytes: size, retries: 0 });
    assert.equal(sink.opened, [['image.bin', size]]);
    assert.is(sha(sink.data()), sha(data));
    // lrzsz quirk: sb may wait for an ACK forever; it had it, so end it by its pid.
    if ((await sb.stop(3000)) === 'exited') assert.is((await sb.exited).code, 0, sb.stderr());
  }));
}

test('our sender -> our receiver over a real pty: 300 KB intact, no retries', () => onPtys(async (p) => {
  const data = randomBytes(300 * 1024);
  const [host, board] = [await p.open('host'), await p.open('board')];
  const sink = collect();
  const clock = systemClock();
  const [sent, got] = await Promise.all([
    ymodemSend(host, { name: 'fw.img', size: data.length, data }, { clock, timeoutMs: 5000 }),
    ymodemReceive(board, sink, { clock, timeoutMs: 5000 }),
  ]);
  assert.equal(sent, { ...sent, bytes: data.length, blocks: 300, retries: 0 });
  assert.equal(got, { name: 'fw.img', size: data.length, bytes: data.length, retries: 0 });
  assert.is(sha(sink.data()), sha(data));
}));

test('a damaged line (seeded drops, flips, noise): the file arrives intact after retries', async () => {
  const random = seededRandom(0xdec0de);
  const line = memoryLine(random, { dropChunk: 0.03, dropByte: 0.03, flipByte: 0.06, noise: 0.04 });
  const data = Buffer.from(Array.from({ length: 40_000 }, () => Math.floor(random() * 256)));
  const sink = collect();
  const clock = systemClock();
  // Chunks of odd sizes, as a file stream gives them.
  async function* chunks() { for (let i = 0; i < data.length; i += 777) yield data.subarray(i, i + 777); }
  // Receiver-driven, as the spec has it: the sender's own resends come only after the receiver's.
  const [sent, got] = await Promise.allSettled([
    ymodemSend(line.a, { name: 'noisy.bin', size: data.length, data: chunks() }, { clock, timeoutMs: 150, maxRetries: 40 }),
    ymodemReceive(line.b, sink, { clock, timeoutMs: 60, maxRetries: 40 }),
  ]);
  assert.is(sent.status, 'fulfilled', sent.status === 'rejected' ? String(sent.reason) : '');
  assert.is(got.status, 'fulfilled', got.status === 'rejected' ? String(got.reason) : '');
  assert.ok(line.damaged() > 5, `only ${line.damaged()} faults`);
  const retries = (sent.status === 'fulfilled' ? sent.value.retries : 0) + (got.status === 'fulfilled' ? got.value.retries : 0);
  assert.ok(retries > 0, 'no retries');
  assert.is(sha(sink.data()), sha(data));
});

test('receiver refuses a file over maxBytes with CAN CAN; our sender and sb both stop', async () => {
  const line = memoryLine(seededRandom(7));
  const sink = collect();
  const clock = systemClock();
  const [sent, got] = await Promise.all([
    settle(ymodemSend(line.a, { name: 'big.bin', size: 5000, data: Buffer.alloc(5000) }, { clock, timeoutMs: 1000 })),
    settle(ymodemReceive(line.b, sink, { clock, timeoutMs: 1000, maxBytes: 4096 })),
  ]);
  assert.instance(got, YmodemError);
  assert.is((got as YmodemError).code, 'refused');
  assert.match((got as YmodemError).message, /"big\.bin".*5000 bytes is over the limit of 4096/);
  assert.instance(sent, YmodemError);
  assert.match((sent as YmodemError).message, /cancelled by receiver/);
  assert.equal(sink.opened, []);
  assert.ok(Buffer.concat(line.written[1]).includes(Buffer.of(0x18, 0x18)), 'no CAN CAN on the line');

  await onPtys(async (p) => {
    await writeFile(join(p.dir, 'big.bin'), randomBytes(5000));
    const board = await p.open('board');
    const receiving = settle(ymodemReceive(board, collect(), { clock, timeoutMs: 2000, maxBytes: 4096 }));
    const sb = p.spawn('sb', ['-k', 'big.bin'], 'host');
    assert.is(((await deadline(receiving, 15_000, () => 'no refusal')) as YmodemError).code, 'refused');
    const exit = await deadline(sb.exited, 15_000, () => `sb did not give up: ${sb.stderr()}`);
    assert.is.not(exit.code, 0, 'sb claims success');
  });
});

test('sender gives up after maxRetries against a silent peer (manual clock)', async () => {
  const clock = manualClock();
  const mute = memoryLine(seededRandom(1));
  const never = await driveClock(clock, settle(ymodemSend(mute.a, { name: 'x.bin', size: 10, data: Buffer.alloc(10) }, { clock, timeoutMs: 1000, maxRetries: 3 })), 500, 100);
  assert.instance(never, YmodemError);
  assert.match((never as YmodemError).message, /^ymodem send on mem0 "x\.bin": receiver never asked for block 0 \('C'\)$/);

  // A receiver that asks once and then falls silent: block 0 goes out 1 + maxRetries times.
  const gone = memoryLine(seededRandom(2));
  await gone.b.write('C');
  const err = await driveClock(clock, settle(ymodemSend(gone.a, { name: 'x.bin', size: 10, data: Buffer.alloc(10) }, { clock, timeoutMs: 1000, maxRetries: 3 })), 500, 100);
  assert.is((err as YmodemError).code, 'timeout');
  assert.match((err as YmodemError).message, /block 0: no ACK for block 0 after 4 tries/);
  assert.is(gone.written[0].filter((c) => c[0] === 0x01 && c[1] === 0).length, 4);
  assert.equal([...gone.written[0].at(-1)!], [0x18, 0x18, 0x18, 0x18, 0x18], 'sender did not cancel');

  const deaf = memoryLine(seededRandom(3));
  const alone = await driveClock(clock, settle(ymodemReceive(deaf.b, collect(), { clock, timeoutMs: 1000, maxRetries: 3 })), 500, 100);
  assert.match((alone as YmodemError).message, /no sender: no block 0 after 4 requests/);
  assert.is(deaf.written[1].filter((c) => c.equals(Buffer.from('C'))).length, 4);
});

test('aborting the receiver through its signal cancels the sender', async () => {
  const line = memoryLine(seededRandom(4));
  const ac = new AbortController();
  const clock = systemClock();
  const [sent, got] = await Promise.all([
    settle(ymodemSend(line.a, { name: 'a.bin', size: 20_000, data: randomBytes(20_000) }, { clock, timeoutMs: 1000 })),
    settle(ymodemReceive(line.b, collect(), { clock, timeoutMs: 1000, signal: ac.signal, onProgress: (n) => { if (n >= 4096) ac.abort(); } })),
  ]);
  assert.is((got as YmodemError).code, 'aborted');
  assert.match((sent as YmodemError).message, /cancelled by receiver/);
});

test.run();
