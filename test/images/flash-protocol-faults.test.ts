/**
 * The agent protocol when things go wrong: line noise and console text are recovered by
 * retransmission; a refusal, a missing agent and another protocol version end in the error
 * that says so; slow storage throttles the host instead of overrunning the board.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFrame, FrameDecoder } from '../../images/serial/frame.ts';
import { decodeMessage, encodeMessage, type Message } from '../../images/serial/messages.ts';
import { failure, once, rig, settle, testImage, type Rig, type TestImage } from './support/flash-rig.ts';
import { tempDir, type TempDir } from '../support/temp-dir.ts';

const fx = {} as { dir: TempDir; image: TestImage; text: TestImage };
const rigs: Rig[] = [];
const use = (r: Rig) => (rigs.push(r), r);

test.before(async () => {
  fx.dir = await tempDir('deskbox-flash-');
  fx.image = await testImage(fx.dir.path, { seed: 4, random: 1_000_000, zeros: 300_000, text: 200_000 });
  fx.text = await testImage(fx.dir.path, { seed: 8, random: 50_000, text: 2_000_000, name: 'logs' });
});
test.after.each(() => { for (const r of rigs.splice(0)) r.close(); });
test.after(() => fx.dir.remove());

const LINE = { bytesPerSecond: 92160, latencyMs: 16 };
const nonEmpty = () => fx.image.manifest.blocks.hashes.filter((h) => h !== null).length;

test('flipped and dropped bytes both ways: the image still arrives intact, by retransmission, the same way every run', async () => {
  const runs = [];
  for (let i = 0; i < 2; i++) {
    const r = use(rig({ ...LINE, flipRate: 1e-4, dropRate: 5e-5, seed: 11 }));
    const report = await r.flash(fx.image.file, { lineRate: LINE.bytesPerSecond });
    assert.ok(r.board.committed?.payload.equals(fx.image.payload), 'intact');
    assert.ok(r.pair.host.stats.flipped + r.pair.host.stats.dropped > 20, 'the line did hurt frames');
    assert.ok(report.retransmits > 0, 'recovered by retransmission');
    runs.push({ ms: report.ms, wire: report.wireBytes, retransmits: report.retransmits });
  }
  assert.equal(runs[0], runs[1], 'seeded noise on virtual time: identical runs');
});

test('console text: boot output before the session and keystrokes during it do not break the transfer', async () => {
  const r = use(rig(LINE));
  await r.pair.board.write('U-Boot 2024.01 (Nov 25 2026)\r\nDRAM: 512 MiB\r\nStarting kernel ...\r\n\r\ndeskbox login: ');
  const report = await r.flash(fx.image.file, { lineRate: LINE.bytesPerSecond, onProgress: once(0.5, () => void r.pair.host.write('ls -l\r\n')) });
  assert.ok(r.board.committed?.payload.equals(fx.image.payload));
  assert.ok(report.retransmits <= 2, `at most the frame the keystrokes hit (${report.retransmits})`);
});

test('refusals: a head the board rejects, and a commit that fails, are "refused" with the board\'s reason', async () => {
  const r = use(rig(LINE));
  r.board.refuse = 'signature: signed by key 0123456789abcdef, which is not trusted here';
  const e = await failure(r.flash(fx.image.file, { lineRate: LINE.bytesPerSecond }));
  assert.is(e.code, 'refused');
  assert.is(e.boardCode, 'refused');
  assert.match(e.message, /signed by key 0123456789abcdef, which is not trusted here/);
  assert.equal(r.board.written, [], 'no payload before the head is accepted');
  assert.ok(r.board.calls.includes('abandon'));

  r.board.refuse = undefined;
  const open = r.board.openTarget;
  r.board.openTarget = async (h) => ({ ...(await open(h)), commit: async () => { throw new Error('payload: SHA-256 differs'); } });
  const commit = await failure(r.flash(fx.image.file, { lineRate: LINE.bytesPerSecond }));
  assert.is(commit.code, 'refused');
  assert.match(commit.message, /did not commit the image: payload: SHA-256 differs/);
});

test('no agent on the port: "no-answer" once helloMs has passed, HELLO repeated meanwhile', async () => {
  const r = use(rig(LINE));
  r.receiver.close();
  const e = await failure(r.flash(fx.image.file, { lineRate: LINE.bytesPerSecond, timeouts: { helloMs: 2000, helloRetryMs: 250 } }));
  assert.is(e.code, 'no-answer');
  assert.is(r.clock.monotonic(), 2000);
  assert.ok(r.pair.host.stats.bytes > 8 * 50, 'HELLO was repeated');
});

test('slow storage: the board\'s window throttles the host, which waits (probing) rather than overrunning or timing out', async () => {
  // The compressible image is the hard case: its deflated chunks take 20 times their size on the board.
  for (const [image, writeMs] of [[fx.image, 3000], [fx.text, 200]] as const) {
    const r = use(rig(LINE, { windowBytes: 96 * 1024 }));
    const open = r.board.openTarget;
    let writing = 0;
    let mostAtOnce = 0;
    r.board.openTarget = async (h) => {
      const t = await open(h);
      return { ...t, writeBlock: async (i, data) => {
        mostAtOnce = Math.max(mostAtOnce, ++writing);
        await new Promise<void>((res) => r.clock.setTimeout(res, writeMs));
        writing--;
        return t.writeBlock(i, data);
      } };
    };
    const report = await r.flash(image.file, { lineRate: LINE.bytesPerSecond });
    assert.ok(r.board.committed?.payload.equals(image.payload));
    assert.is(mostAtOnce, 1, 'the receiver writes one block at a time');
    assert.is(report.retransmits, 0, 'nothing dropped for want of memory');
    assert.ok(report.ms >= report.blocks.sent * writeMs, 'paced by the storage');
  }
});

test('a HELLO of another protocol version, and frames of an unknown session, are answered with ERROR', async () => {
  const r = use(rig(LINE));
  const decoder = new FrameDecoder();
  const answers: Message[] = [];
  r.pair.host.onData((chunk) => { for (const b of decoder.push(chunk)) answers.push(decodeMessage(b)); });
  await r.pair.host.write(encodeFrame(encodeMessage({ kind: 'hello-other-version', session: 5, version: 2 }), { lead: true }));
  await r.pair.host.write(encodeFrame(encodeMessage({ kind: 'done', session: 6, seq: 0, attempt: 0 }), { lead: true }));
  await settle(r, 500);
  assert.equal(answers.map((m) => m.kind === 'error' && [m.session, m.code]), [[5, 'version'], [6, 'session']]);
  assert.match(answers[0]!.kind === 'error' ? answers[0]!.message : '', /speaks flash protocol v1, not v2/);
});

test.run();
