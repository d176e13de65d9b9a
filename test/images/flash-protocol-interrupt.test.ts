/**
 * Interrupted transfers: an abort or a pulled cable ends the host's side with its code and the
 * board's with abandon(), keeping whole blocks, so the next session sends only the rest; a
 * board gone silent is a "timeout" within silenceMs, and the board gives up on a silent host.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { failure, once, rig, settle, testImage, type Rig, type TestImage } from './support/flash-rig.ts';
import { tempDir, type TempDir } from '../support/temp-dir.ts';

const fx = {} as { dir: TempDir; image: TestImage };
const rigs: Rig[] = [];
const use = (r: Rig) => (rigs.push(r), r);

test.before(async () => {
  fx.dir = await tempDir('deskbox-flash-');
  fx.image = await testImage(fx.dir.path, { seed: 4, random: 1_000_000, zeros: 300_000, text: 200_000 });
});
test.after.each(() => { for (const r of rigs.splice(0)) r.close(); });
test.after(() => fx.dir.remove());

const LINE = { bytesPerSecond: 92160, latencyMs: 16 };
const nonEmpty = () => fx.image.manifest.blocks.hashes.filter((h) => h !== null).length;

test('aborted mid-transfer: the board abandons and keeps whole blocks; a new session sends only the rest', async () => {
  const r = use(rig(LINE));
  const abort = new AbortController();
  const e = await failure(r.flash(fx.image.file, { lineRate: LINE.bytesPerSecond, signal: abort.signal, onProgress: once(0.4, () => abort.abort()) }));
  assert.is(e.code, 'aborted');
  await settle(r, 1000);
  assert.equal(r.sessions.at(-1), { state: 'end', ok: false, error: r.sessions.at(-1)?.error });
  assert.match(r.sessions.at(-1)!.error!, /host gave up/);
  assert.ok(r.board.calls.includes('abandon'));
  assert.not.ok(r.receiver.active);
  const before = r.board.written.length;
  assert.ok(before > 0 && before < nonEmpty(), `${before} blocks staged`);
  const report = await r.flash(fx.image.file, { lineRate: LINE.bytesPerSecond });
  assert.is(report.blocks.onBoard, before);
  assert.is(report.blocks.sent, nonEmpty() - before);
  assert.is(new Set(r.board.written).size, r.board.written.length, 'no block written twice');
  assert.ok(r.board.committed?.payload.equals(fx.image.payload));
});

test('unplugged mid-transfer: the host fails with "link"; plugged back, the next session resumes', async () => {
  const r = use(rig(LINE));
  const e = await failure(r.flash(fx.image.file, { lineRate: LINE.bytesPerSecond, onProgress: once(0.3, () => r.pair.unplug()) }));
  assert.is(e.code, 'link');
  assert.match(e.message, /unplugged/);
  r.pair.plug();
  const before = r.board.written.length;
  const report = await r.flash(fx.image.file, { lineRate: LINE.bytesPerSecond });
  assert.is(report.blocks.onBoard, before);
  assert.ok(r.board.committed?.payload.equals(fx.image.payload));
  assert.match(r.sessions[1]?.error ?? '', /replaced by session/);
});

test('the board goes silent mid-transfer: "timeout" within silenceMs; the board abandons once the host is silent too', async () => {
  const r = use(rig(LINE, { silenceMs: 15_000 }));
  let cutAt = 0;
  const e = await failure(r.flash(fx.image.file, { lineRate: LINE.bytesPerSecond, timeouts: { silenceMs: 5000 }, onProgress: once(0.3, () => { cutAt = r.clock.monotonic(); r.pair.silence('both'); }) }));
  assert.is(e.code, 'timeout');
  assert.ok(r.clock.monotonic() - cutAt <= 5000 + 500, `failed ${r.clock.monotonic() - cutAt} ms after the cut`);
  await settle(r, 20_000);
  assert.match(r.sessions.at(-1)?.error ?? '', /host went silent/);
  assert.ok(r.board.calls.includes('abandon'));
  assert.not.ok(r.receiver.active);
});

test.run();
