/**
 * YMODEM to U-Boot's `loady`: its xyzModem ACKs block 0 and then waits for block 1 without
 * asking for it ('C' only after its own 2 s timeout), so the U-Boot driver sends block 1 unasked
 * after a short wait (`dataRequestMs`), and a receiver's late 'C' asks for that block again.
 * Spec receivers (ours, lrzsz's rb) must not notice the difference.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SerialLink } from '../../platform/hal/serial.ts';
import { systemClock } from '../../platform/clock.ts';
import { ymodemSend } from '../../images/serial/ymodem-send.ts';
import { ymodemReceive } from '../../images/serial/ymodem-receive.ts';
import { ACK, WANT_CRC, readPacket, ymodemReader } from '../../images/serial/ymodem-wire.ts';
import { collect, memoryLine } from '../images/lossy-line.ts';
import { alive, deadline, onPtys } from '../images/lrzsz-ptys.ts';
import { seededRandom } from '../support/seeded-random.ts';

const started: number[] = [];
process.once('exit', () => { for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL'); });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const clock = systemClock();

/**
 * U-Boot's xyzModem receive loop as `loady` runs it (common/xyzModem.c): 'C' until block 0,
 * ACK it, then wait up to 2 s for each block and send 'C' only when that runs out; at EOT ACK,
 * 'C', the null block 0, ACK. `lateC` instead asks for data that long after block 0's ACK,
 * dropping whatever came meanwhile, as a receiver that purges its input before asking would.
 */
async function xyzModem(link: SerialLink, opts: { lateC?: number } = {}): Promise<Buffer> {
  const where = { role: 'receive' as const, path: link.path };
  const reader = ymodemReader(clock, link, where);
  const send = (b: number) => link.write(Buffer.of(b));
  const parts: Buffer[] = [];
  try {
    let head;
    do {
      await send(WANT_CRC);
      head = await readPacket(reader, clock, 500, where);
    } while (head?.kind !== 'block' || head.num !== 0);
    const size = Number(/\0(\d+)/.exec(head.data.toString('latin1'))![1]);
    await send(ACK);
    if (opts.lateC !== undefined) {
      await new Promise((r) => setTimeout(r, opts.lateC));
      reader.purge();
      await send(WANT_CRC);
    }
    for (let next = 1; ;) {
      const p = await readPacket(reader, clock, 2000, where);
      if (p === undefined) await send(WANT_CRC);
      else if (p.kind === 'block' && p.num === (next & 0xff)) { parts.push(p.data); next++; await send(ACK); }
      else if (p.kind === 'block' && p.num === ((next - 1) & 0xff)) await send(ACK);
      else if (p.kind === 'eot') {
        await send(ACK);
        await send(WANT_CRC);
        await readPacket(reader, clock, 2000, where);
        await send(ACK);
        return Buffer.concat(parts).subarray(0, size);
      }
    }
  } finally {
    reader.close();
  }
}

test('to U-Boot\'s xyzModem: block 1 goes unasked after dataRequestMs, not after its 2 s timeout', async () => {
  const data = randomBytes(5000);
  for (const [dataRequestMs, slower] of [[300, false], [undefined, true]] as const) {
    const line = memoryLine(seededRandom(3));
    const t0 = performance.now();
    const [sent, got] = await Promise.all([
      ymodemSend(line.a, { name: 'fw.bin', size: data.length, data }, { clock, timeoutMs: 5000, dataRequestMs }),
      xyzModem(line.b),
    ]);
    const ms = performance.now() - t0;
    assert.is(sha(got), sha(data));
    assert.is(sent.retries, 0);
    if (slower) assert.ok(ms >= 2000, `waited for the 'C': ${ms.toFixed(0)} ms`);
    else assert.ok(ms < 1500, `${ms.toFixed(0)} ms`);
  }
});

test('a receiver whose \'C\' comes after the unasked block 1 gets that block again', async () => {
  const data = randomBytes(3000);
  const line = memoryLine(seededRandom(4));
  const [sent, got] = await Promise.all([
    ymodemSend(line.a, { name: 'fw.bin', size: data.length, data }, { clock, timeoutMs: 5000, dataRequestMs: 100 }),
    xyzModem(line.b, { lateC: 600 }),
  ]);
  assert.is(sha(got), sha(data));
  assert.is(sent.retries, 1, 'block 1 once more, on the late C');
});

test('spec receivers with dataRequestMs: ours on a memory line, lrzsz rb on a pty', async () => {
  const data = randomBytes(20_000);
  const line = memoryLine(seededRandom(5));
  const sink = collect();
  const [sent] = await Promise.all([
    ymodemSend(line.a, { name: 'fw.bin', size: data.length, data }, { clock, timeoutMs: 5000, dataRequestMs: 300 }),
    ymodemReceive(line.b, sink, { clock, timeoutMs: 5000 }),
  ]);
  assert.is(sent.retries, 0, 'our receiver asks at once: nothing goes unasked');
  assert.is(sha(sink.data()), sha(data));

  await onPtys((pid) => started.push(pid), async (p) => {
    const host = await p.open('host');
    const rb = p.spawn('rb', [], 'board');
    const ac = new AbortController();
    const sending = ymodemSend(host, { name: 'fw.bin', size: data.length, data }, { clock, timeoutMs: 5000, dataRequestMs: 300, signal: ac.signal });
    sending.catch(() => undefined);
    // lrzsz quirk: rb may leave before its last ACK gets out, so its exit ends the transfer.
    const exit = await deadline(rb.exited, 30_000, () => `rb did not finish: ${rb.stderr()}`);
    ac.abort();
    await sending.catch(() => undefined);
    assert.is(exit.code, 0, rb.stderr());
    assert.is(sha(await readFile(join(p.dir, 'fw.bin'))), sha(data));
  });
});

test.run();
