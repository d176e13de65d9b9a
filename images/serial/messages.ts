/**
 * The agent protocol's messages and their binary layouts, version 1 (docs/serial-protocol.md).
 * Every body starts with type (u8) and session (u16); HELLO then carries the magic and the
 * version at fixed places, so any later version can still be recognised and answered.
 * Segments (HEAD, DATA, DONE) share one sequence space and carry the attempt number of this
 * transmission, which the board echoes in ACK: on a serial line frames never overtake each
 * other, so the host then knows exactly which earlier transmissions were lost.
 */
import { WireError, WireReader, WireWriter } from './message-fields.ts';

export const PROTOCOL_MAGIC = 'DBXF';
export const PROTOCOL_VERSION = 1;
/** ACK's selective bitmap covers at most this many sequence numbers above `next`. */
export const SACK_SPAN = 256;

export const TYPES = {
  hello: 0x01, head: 0x02, data: 0x03, done: 0x04, ping: 0x05, bye: 0x06,
  ready: 0x81, plan: 0x82, ack: 0x83, result: 0x84, error: 0x7f,
} as const;

export const ERROR_CODES = ['version', 'refused', 'session', 'protocol', 'block', 'storage', 'aborted', 'busy'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number] | 'unknown';

export interface SegmentFields { seq: number; attempt: number }
export interface HelloFields { payloadSha256: string; headLength: number; payloadSize: number }
export interface AckFields {
  /** Every seq below `next` is in. */
  next: number;
  /** Bit i (most significant bit of byte 0 first) set: seq next + 1 + i is in too. */
  sack: Buffer;
  /** Bytes of segment payload the board can take beyond what it acknowledges here. */
  window: number;
  /** The last segment transmission that arrived before this ACK was sent, if any. */
  last: SegmentFields | null;
}

export type Message = { session: number } & (
  | ({ kind: 'hello'; version: typeof PROTOCOL_VERSION } & HelloFields)
  | { kind: 'hello-other-version'; version: number }
  | ({ kind: 'head'; offset: number; bytes: Buffer } & SegmentFields)
  | ({ kind: 'data'; block: number; offset: number; encodedLength: number; compressed: boolean; bytes: Buffer } & SegmentFields)
  | ({ kind: 'done' } & SegmentFields)
  | { kind: 'ping' }
  | { kind: 'bye' }
  | { kind: 'ready'; version: number; maxChunk: number; window: number }
  | { kind: 'plan'; window: number; blockCount: number; need: Buffer }
  | ({ kind: 'ack' } & AckFields)
  | { kind: 'result'; ok: boolean; slot: string; version: string; message: string }
  | { kind: 'error'; code: ErrorCode; message: string }
);
export type MessageOf<K extends Message['kind']> = Extract<Message, { kind: K }>;

const COMPRESSED = 0x01;
const NO_LAST = 0xffffffff;

export function encodeMessage(m: Message): Buffer {
  const w = new WireWriter().u8(m.kind === 'hello-other-version' ? TYPES.hello : TYPES[m.kind]).u16(m.session);
  switch (m.kind) {
    case 'hello':
      w.bytes(Buffer.from(PROTOCOL_MAGIC, 'ascii')).u8(m.version).bytes(Buffer.from(m.payloadSha256, 'hex')).u32(m.headLength).u64(m.payloadSize);
      break;
    case 'hello-other-version':
      w.bytes(Buffer.from(PROTOCOL_MAGIC, 'ascii')).u8(m.version);
      break;
    case 'head': w.u32(m.seq).u8(m.attempt).u32(m.offset).bytes(m.bytes); break;
    case 'data':
      w.u32(m.seq).u8(m.attempt).u32(m.block).u32(m.offset).u32(m.encodedLength).u8(m.compressed ? COMPRESSED : 0).bytes(m.bytes);
      break;
    case 'done': w.u32(m.seq).u8(m.attempt); break;
    case 'ping': case 'bye': break;
    case 'ready': w.u8(m.version).u16(m.maxChunk).u32(m.window); break;
    case 'plan': w.u32(m.window).u32(m.blockCount).bytes(m.need); break;
    case 'ack': w.u32(m.next).u32(m.window).u32(m.last?.seq ?? NO_LAST).u8(m.last?.attempt ?? 0).bytes(m.sack); break;
    case 'result': w.u8(m.ok ? 1 : 0).str(m.slot).str(m.version).str(m.message, true); break;
    case 'error': w.u8(m.code === 'unknown' ? 0 : ERROR_CODES.indexOf(m.code) + 1).str(m.message, true); break;
  }
  return w.done();
}

/** Throws a WireError for a body no v1 peer would send (unknown type, wrong length, bad magic). */
export function decodeMessage(body: Buffer): Message {
  const type = body[0];
  const kind = (Object.keys(TYPES) as (keyof typeof TYPES)[]).find((k) => TYPES[k] === type);
  if (!kind) throw new WireError('frame', `unknown message type 0x${(type ?? 0).toString(16)}`);
  const r = new WireReader(body, kind.toUpperCase());
  r.u8('type');
  const session = r.u16('session');
  const segment = (): SegmentFields => ({ seq: r.u32('seq'), attempt: r.u8('attempt') });
  const fixed = <T>(m: T): T => { r.end(); return m; };
  switch (kind) {
    case 'hello': {
      if (r.bytes(4, 'magic').toString('latin1') !== PROTOCOL_MAGIC) throw new WireError('HELLO', 'wrong magic');
      const version = r.u8('version');
      if (version !== PROTOCOL_VERSION) return { kind: 'hello-other-version', session, version };
      return fixed({ kind, session, version, payloadSha256: r.bytes(32, 'payload sha256').toString('hex'), headLength: r.u32('head length'), payloadSize: r.u64('payload size') });
    }
    case 'head': return { kind, session, ...segment(), offset: r.u32('offset'), bytes: r.rest() };
    case 'data': {
      const seg = segment();
      const [block, offset, encodedLength, flags] = [r.u32('block'), r.u32('offset'), r.u32('encoded length'), r.u8('flags')];
      return { kind, session, ...seg, block, offset, encodedLength, compressed: (flags & COMPRESSED) !== 0, bytes: r.rest() };
    }
    case 'done': return fixed({ kind, session, ...segment() });
    case 'ping': case 'bye': return fixed({ kind, session });
    case 'ready': return fixed({ kind, session, version: r.u8('version'), maxChunk: r.u16('max chunk'), window: r.u32('window') });
    case 'plan': {
      const [window, blockCount, need] = [r.u32('window'), r.u32('block count'), r.rest()];
      if (need.length !== Math.ceil(blockCount / 8)) throw new WireError('PLAN', `bitmap of ${need.length} bytes for ${blockCount} blocks`);
      return { kind, session, window, blockCount, need };
    }
    case 'ack': {
      const [next, window, lastSeq, lastAttempt, sack] = [r.u32('next'), r.u32('window'), r.u32('last seq'), r.u8('last attempt'), r.rest()];
      if (sack.length > SACK_SPAN / 8) throw new WireError('ACK', `selective bitmap of ${sack.length} bytes`);
      return { kind, session, next, window, sack, last: lastSeq === NO_LAST ? null : { seq: lastSeq, attempt: lastAttempt } };
    }
    case 'result': return fixed({ kind, session, ok: r.u8('ok') === 1, slot: r.str('slot'), version: r.str('version'), message: r.str('message', true) });
    case 'error': {
      const code = r.u8('code');
      return fixed({ kind, session, code: ERROR_CODES[code - 1] ?? 'unknown', message: r.str('message', true) });
    }
  }
}

/**
 * What a DATA chunk counts against the board's window: the bytes of the block it stands for,
 * not its encoded size. A deflated block takes its full size on the board once inflated, so a
 * window counted in encoded bytes would let a compressible image overrun the board's memory.
 */
export function windowCost(chunkBytes: number, blockLength: number, encodedLength: number): number {
  return Math.ceil((chunkBytes * blockLength) / encodedLength);
}

/** Bit `i` of a most-significant-bit-first bitmap (PLAN's need, ACK's sack). */
export function bitAt(map: Uint8Array, i: number): boolean {
  return ((map[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0;
}

export function setBit(map: Uint8Array, i: number): void {
  map[i >> 3]! |= 0x80 >> (i & 7);
}
