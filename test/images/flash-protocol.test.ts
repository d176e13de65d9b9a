/**
 * The agent protocol's framing and messages (docs/serial-protocol.md): COBS round trips on
 * the awkward lengths, frames found among console text in chunks of any size, damaged frames
 * counted and skipped, junk without delimiters bounded, and every message's layout.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../../images/serial/cobs.ts';
import { encodeFrame, FrameDecoder, MAX_FRAME_BODY } from '../../images/serial/frame.ts';
import { decodeMessage, encodeMessage, type Message } from '../../images/serial/messages.ts';
import { WireError } from '../../images/serial/message-fields.ts';
import { seededRandom } from '../support/seeded-random.ts';

const bytes = (...b: number[]) => Buffer.from(b);
const run = (n: number, from = 1) => Buffer.from(Array.from({ length: n }, (_, i) => ((from - 1 + i) % 255) + 1));

test('COBS: known encodings, including runs of 254 and 255 non-zero bytes', () => {
  assert.equal(cobsEncode(bytes()), bytes(0x01));
  assert.equal(cobsEncode(bytes(0x00)), bytes(0x01, 0x01));
  assert.equal(cobsEncode(bytes(0x00, 0x00)), bytes(0x01, 0x01, 0x01));
  assert.equal(cobsEncode(bytes(0x11, 0x22, 0x00, 0x33)), bytes(0x03, 0x11, 0x22, 0x02, 0x33));
  assert.equal(cobsEncode(run(254)), Buffer.concat([bytes(0xff), run(254)]));
  assert.equal(cobsEncode(run(255)), Buffer.concat([bytes(0xff), run(254), bytes(0x02, 0xff)]));
  assert.equal(cobsEncode(Buffer.concat([run(254), bytes(0)])), Buffer.concat([bytes(0xff), run(254), bytes(0x01, 0x01)]));
});

test('COBS: round trips of zeros, long runs and random bytes never contain a zero', () => {
  const random = seededRandom(42);
  const cases = [bytes(0), Buffer.alloc(1000), run(253), run(254), run(255), run(508), run(509), Buffer.concat([run(254), bytes(0), run(254)])];
  for (let i = 0; i < 200; i++) {
    const n = Math.floor(random() * 2000);
    cases.push(Buffer.from(Array.from({ length: n }, () => (random() < 0.1 ? 0 : Math.floor(random() * 256)))));
  }
  for (const input of cases) {
    const encoded = cobsEncode(input);
    assert.not.ok(encoded.includes(0), `a zero in the encoding of ${input.length} bytes`);
    assert.ok(encoded.length <= cobsMaxEncodedLength(input.length));
    assert.equal(cobsDecode(encoded), input, `round trip of ${input.length} bytes`);
  }
  assert.is(cobsDecode(bytes(0x05, 0x11)), undefined, 'a group cut short');
  assert.is(cobsDecode(bytes(0x02, 0x00)), undefined, 'a zero inside');
});

const sampleFrames = (): Buffer[] => [
  encodeMessage({ kind: 'ping', session: 1 }),
  encodeMessage({ kind: 'data', session: 1, seq: 0, attempt: 0, block: 3, offset: 0, encodedLength: 600, compressed: false, bytes: Buffer.concat([run(300), Buffer.alloc(300)]) }),
  encodeMessage({ kind: 'error', session: 1, code: 'refused', message: 'no\u0000 thanks' }),
];

test('frame decoder: frames among console text, in chunks of every size, come out whole and in order', () => {
  const bodies = sampleFrames();
  const text = Buffer.from('U-Boot 2024.01\r\nHit any key to stop autoboot: 0\r\nlogin: ');
  const stream = Buffer.concat([text, encodeFrame(bodies[0]!, { lead: true }), Buffer.from('typed by a person\r\n'), encodeFrame(bodies[1]!, { lead: true }), encodeFrame(bodies[2]!), text]);
  const random = seededRandom(7);
  for (const maxChunk of [1, 2, 7, 64, 1000, stream.length]) {
    const decoder = new FrameDecoder();
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length;) {
      const n = 1 + Math.floor(random() * maxChunk);
      out.push(...decoder.push(stream.subarray(at, at + n)));
      at += n;
    }
    assert.equal(out, bodies, `chunks up to ${maxChunk} bytes`);
    assert.is(decoder.stats.good, 3);
    assert.is(decoder.stats.bad, 2, 'the two stretches of text before a lead delimiter');
  }
});

test('frame decoder: a damaged frame is counted and skipped, the next one still decodes', () => {
  const [a, b, c] = sampleFrames().map((body) => encodeFrame(body));
  for (const damage of ['flip', 'drop', 'cut'] as const) {
    const hurt = Buffer.from(b!);
    const mid = Math.floor(hurt.length / 2);
    const broken = damage === 'flip' ? (hurt[mid]! ^= 0x10, hurt) : damage === 'drop' ? Buffer.concat([hurt.subarray(0, mid), hurt.subarray(mid + 1)]) : hurt.subarray(0, mid);
    const decoder = new FrameDecoder();
    const out = decoder.push(Buffer.concat([a!, broken, c!]));
    // A frame cut short runs into the next one: both are lost, as on a real line.
    assert.equal(out.length, damage === 'cut' ? 1 : 2, damage);
    assert.ok(decoder.stats.bad >= 1, damage);
  }
});

test('frame decoder: junk without delimiters is dropped, not buffered, and the stream recovers', () => {
  const decoder = new FrameDecoder();
  const junk = Buffer.alloc(10 * MAX_FRAME_BODY, 0x41);
  for (let at = 0; at < junk.length; at += 4096) assert.equal(decoder.push(junk.subarray(at, at + 4096)), []);
  assert.is(decoder.stats.oversize, 1);
  const body = sampleFrames()[1]!;
  assert.equal(decoder.push(encodeFrame(body, { lead: true })), [body]);
  const small = new FrameDecoder(100);
  assert.equal(small.push(encodeFrame(Buffer.alloc(200, 1))), [], 'over the decoder limit');
  assert.is(small.stats.oversize, 1);
});

test('messages: every kind survives encode and decode', () => {
  const sha = 'ab'.repeat(32);
  const all: Message[] = [
    { kind: 'hello', session: 65535, version: 1, payloadSha256: sha, headLength: 2400, payloadSize: 2 ** 40 + 5 },
    { kind: 'head', session: 2, seq: 0, attempt: 0, offset: 2048, bytes: run(10) },
    { kind: 'data', session: 2, seq: 7, attempt: 3, block: 1023, offset: 8192, encodedLength: 40000, compressed: true, bytes: run(100) },
    { kind: 'done', session: 2, seq: 99, attempt: 1 },
    { kind: 'ping', session: 2 },
    { kind: 'bye', session: 2 },
    { kind: 'ready', session: 2, version: 1, maxChunk: 8192, window: 262144 },
    { kind: 'plan', session: 2, window: 262144, blockCount: 10, need: bytes(0b10100000, 0b01000000) },
    { kind: 'ack', session: 2, next: 5, window: 1000, last: { seq: 9, attempt: 2 }, sack: bytes(0x0f) },
    { kind: 'ack', session: 2, next: 0, window: 0, last: null, sack: Buffer.alloc(0) },
    { kind: 'result', session: 2, ok: true, slot: 'b', version: '1.2.3', message: '' },
    { kind: 'error', session: 2, code: 'storage', message: 'flash worn out: écriture refusée' },
  ];
  for (const m of all) assert.equal(decodeMessage(encodeMessage(m)), m, m.kind);
  assert.is(encodeMessage(all[2]!).length - 100, 21, 'DATA header bytes');
});

test('messages: another version, a wrong magic and short bodies are told apart', () => {
  const other = decodeMessage(encodeMessage({ kind: 'hello-other-version', session: 9, version: 2 }));
  assert.equal(other, { kind: 'hello-other-version', session: 9, version: 2 });
  const hello = encodeMessage({ kind: 'hello', session: 9, version: 1, payloadSha256: '00'.repeat(32), headLength: 1, payloadSize: 1 });
  hello.write('XBXF', 3, 'latin1');
  assert.throws(() => decodeMessage(hello), /wrong magic/);
  assert.throws(() => decodeMessage(encodeMessage({ kind: 'ready', session: 1, version: 1, maxChunk: 1, window: 1 }).subarray(0, 6)), (e: unknown) => e instanceof WireError && /too short/.test(e.message));
  assert.throws(() => decodeMessage(bytes(0x42, 0, 1)), /unknown message type 0x42/);
  assert.throws(() => decodeMessage(encodeMessage({ kind: 'plan', session: 1, window: 1, blockCount: 30, need: bytes(1) })), /bitmap of 1 bytes for 30 blocks/);
  const long = decodeMessage(encodeMessage({ kind: 'error', session: 1, code: 'refused', message: 'é'.repeat(40000) }));
  assert.ok(long.kind === 'error' && Buffer.byteLength(long.message) <= 0xffff && !long.message.includes('\uFFFD'), 'a long message is cut at a character boundary');
});

test.run();
