/**
 * Whole transfers over the agent protocol on a paced in-memory cable in virtual time: the
 * board gets exactly the image, empty blocks and blocks it has never cross the line, deflate
 * pays off where the payload compresses, and the window keeps the line busy (elapsed close
 * to the time the bytes need on the wire, far from what stop-and-wait would take).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FlashProgress } from '../../images/serial/sender.ts';
import { rig, testImage, type Rig, type TestImage } from './support/flash-rig.ts';
import { tempDir, type TempDir } from '../support/temp-dir.ts';

const fx = {} as { dir: TempDir; mixed: TestImage; text: TestImage; random: TestImage };
const rigs: Rig[] = [];
const use = (r: Rig) => (rigs.push(r), r);

test.before(async () => {
  fx.dir = await tempDir('deskbox-flash-');
  fx.mixed = await testImage(fx.dir.path, { seed: 1, random: 1_000_000, zeros: 600_000, text: 300_000 });
  fx.text = await testImage(fx.dir.path, { seed: 2, random: 20_000, text: 1_500_000, name: 'logs' });
  fx.random = await testImage(fx.dir.path, { seed: 3, random: 1_200_000, name: 'noise' });
});
test.after.each(() => { for (const r of rigs.splice(0)) r.close(); });
test.after(() => fx.dir.remove());

const nonEmpty = (img: TestImage) => img.manifest.blocks.hashes.flatMap((h, i) => (h === null ? [] : [i]));

test('a full transfer delivers the image intact and reports what it did', async () => {
  const r = use(rig({ bytesPerSecond: 11520, latencyMs: 16 }));
  const progress: FlashProgress[] = [];
  const report = await r.flash(fx.mixed.file, { lineRate: 11520, onProgress: (p) => progress.push(p) });
  assert.ok(r.board.committed?.payload.equals(fx.mixed.payload), 'the board has the payload');
  assert.equal(report.result, { slot: 'b', version: '1.1' });
  const hashes = fx.mixed.manifest.blocks.hashes;
  const empty = hashes.filter((h) => h === null).length;
  assert.ok(empty >= 5, `the fixture has empty blocks (${empty})`);
  assert.equal(report.blocks, { total: hashes.length, sent: hashes.length - empty, empty, onBoard: 0 });
  assert.is(report.imageBytes, fx.mixed.bytes);
  assert.is(report.retransmits, 0, 'a clean line needs no retransmission');
  assert.equal([...new Set(progress.map((p) => p.phase))], ['hello', 'head', 'blocks', 'commit']);
  assert.ok(progress.every((p, i) => i === 0 || p.imageBytesDone >= progress[i - 1]!.imageBytesDone), 'done only grows');
  assert.is(progress.at(-1)!.imageBytesDone, fx.mixed.bytes);
  assert.equal(r.sessions, [{ state: 'start' }, { state: 'end', ok: true }]);
  assert.not.ok(r.receiver.active);
});

test('empty blocks are never sent', async () => {
  const r = use(rig({ bytesPerSecond: 92160, latencyMs: 16 }));
  const report = await r.flash(fx.mixed.file, { lineRate: 92160 });
  assert.equal([...r.board.written].sort((a, b) => a - b), nonEmpty(fx.mixed));
  // Every sent block, even raw, fits in its 64 KiB; zero blocks would have added 64 KiB each.
  assert.ok(report.wireBytes < fx.mixed.bytes - report.blocks.empty * 60_000, `wire ${report.wireBytes}`);
});

test('blocks the board says it has (staged earlier, or held elsewhere with the same hash) are never sent', async () => {
  const r = use(rig({ bytesPerSecond: 92160, latencyMs: 16 }));
  const [first, second, third, ...rest] = nonEmpty(fx.mixed);
  const sha = fx.mixed.manifest.payload.sha256;
  r.board.staged.set(sha, new Map([[first!, fx.mixed.payload.subarray(first! * 65536, (first! + 1) * 65536)], [third!, fx.mixed.payload.subarray(third! * 65536, (third! + 1) * 65536)]]));
  const report = await r.flash(fx.mixed.file, { lineRate: 92160 });
  assert.equal([...r.board.written].sort((a, b) => a - b), [second!, ...rest]);
  assert.is(report.blocks.onBoard, 2);
  assert.is(report.blocks.sent, rest.length + 1);
  assert.ok(r.board.committed?.payload.equals(fx.mixed.payload));

  const again = use(rig({ bytesPerSecond: 92160, latencyMs: 16 }));
  again.board.holds = new Set([fx.mixed.manifest.blocks.hashes[second!]!]);
  const copied = await again.flash(fx.mixed.file, { lineRate: 92160 });
  assert.not.ok(again.board.written.includes(second!), 'a block held by content is copied on the board');
  assert.is(copied.blocks.onBoard, 1);
});

test('compressible payloads cost far fewer wire bytes; incompressible ones are sent raw', async () => {
  const r = use(rig({ bytesPerSecond: 92160, latencyMs: 16 }));
  const text = await r.flash(fx.text.file, { lineRate: 92160 });
  assert.ok(r.board.committed?.payload.equals(fx.text.payload));
  assert.ok(text.compressedRatio < 0.2, `ratio ${text.compressedRatio}`);
  assert.ok(text.wireBytes < fx.text.bytes * 0.25, `wire ${text.wireBytes} for ${fx.text.bytes}`);
  const random = await r.flash(fx.random.file, { lineRate: 92160 });
  assert.ok(random.compressedRatio > 0.99 && random.compressedRatio <= 1, `ratio ${random.compressedRatio}`);
  assert.ok(random.wireBytes < fx.random.bytes * 1.03, 'raw blocks: a few % of framing only');
});

test('the window keeps the line busy: elapsed time is close to wire time, not stop-and-wait', async () => {
  for (const [rate, lineRate] of [[92160, 92160], [92160, undefined], [300_000, 300_000]] as const) {
    const r = use(rig({ bytesPerSecond: rate, latencyMs: 16 }));
    const report = await r.flash(fx.random.file, { lineRate });
    const wireMs = (report.wireBytes / rate) * 1000;
    const frames = Math.ceil(report.wireBytes / (lineRate ? 8192 : 4096));
    const stopAndWaitMs = wireMs + frames * 2 * 16;
    assert.ok(report.ms < wireMs * 1.04 + 200, `${rate} B/s, hint ${lineRate}: ${report.ms.toFixed(0)} ms for ${wireMs.toFixed(0)} ms on the wire (stop-and-wait: ${stopAndWaitMs.toFixed(0)})`);
  }
});

test.run();
