import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';
import { crc16Xmodem } from './crc16.ts';
import { LinkReader } from './ymodem-reader.ts';

/** Control bytes of XMODEM/YMODEM (Forsberg, "XMODEM/YMODEM protocol reference"). */
export const SOH = 0x01; // 128-byte block follows
export const STX = 0x02; // 1024-byte block follows
export const EOT = 0x04;
export const ACK = 0x06;
export const NAK = 0x15;
export const CAN = 0x18;
export const WANT_CRC = 0x43; // 'C': the receiver asks for CRC-16 rather than XMODEM's additive checksum
export const CPMEOF = 0x1a;

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RETRIES = 10;
/** The spec's limit between two bytes of one block; a longer gap means the block was cut. */
export const MAX_BYTE_GAP_MS = 1_000;
/** More than the spec's two: a lossy line may swallow some, and extra ones are harmless. */
const CANCEL = Buffer.alloc(5, CAN);

/**
 * cancelled: the peer sent CAN CAN; refused: over `maxBytes`; timeout: retries used up;
 * protocol: the peer broke the protocol; data: the file does not match its size or name rules;
 * aborted: the caller's signal; io: the link or the sink failed.
 */
export type YmodemErrorCode = 'cancelled' | 'refused' | 'timeout' | 'protocol' | 'data' | 'aborted' | 'io';

/** Where a transfer stood, so an error tells which port, which file and which block. */
export interface YmodemPlace {
  role: 'send' | 'receive';
  path: string;
  file?: string;
  block?: number;
}

export class YmodemError extends Error {
  override readonly name = 'YmodemError';
  readonly where: Readonly<YmodemPlace>;

  constructor(readonly code: YmodemErrorCode, readonly reason: string, where: YmodemPlace, options?: ErrorOptions) {
    const file = where.file ? ` "${where.file}"` : '';
    const block = where.block !== undefined ? ` block ${where.block}` : '';
    super(`ymodem ${where.role} on ${where.path}${file}${block}: ${reason}`, options);
    this.where = { ...where };
  }
}

/** One block on the wire: header, number and its complement, payload padded with `pad`, CRC. */
export function encodeBlock(num: number, payload: Uint8Array, size: 128 | 1024, pad: number): Buffer {
  const out = Buffer.alloc(3 + size + 2, pad);
  out[0] = size === 1024 ? STX : SOH;
  out[1] = num & 0xff;
  out[2] = 0xff - (num & 0xff);
  out.set(payload, 3);
  out.writeUInt16BE(crc16Xmodem(out.subarray(3, 3 + size)), 3 + size);
  return out;
}

/** Block 0: "name NUL size" in decimal, NUL-padded; a 1K block only when the name needs it. */
export function encodeFileInfo(name: string, size: number, where: YmodemPlace): Buffer {
  if (!name || name.includes('\0')) throw new YmodemError('data', 'file name must be non-empty and free of NUL', where);
  if (!Number.isSafeInteger(size) || size < 0) throw new YmodemError('data', `invalid size ${size}`, where);
  const info = Buffer.from(`${name}\0${size}`, 'utf8');
  if (info.length > 1024) throw new YmodemError('data', 'file name too long for block 0', where);
  return encodeBlock(0, info, info.length > 128 ? 1024 : 128, 0);
}

/** Block 0 is "name NUL size [mtime mode ...]"; a null name is the end of the batch. */
export function decodeFileInfo(data: Buffer, where: YmodemPlace): { name: string; size: number } {
  const nul = data.indexOf(0);
  if (nul === 0) throw new YmodemError('protocol', 'sender has no file to send (empty batch)', where);
  if (nul < 0) throw new YmodemError('protocol', 'block 0 has no NUL after the file name', where);
  const name = data.subarray(0, nul).toString('utf8');
  const size = /^\d+/.exec(data.subarray(nul + 1).toString('latin1'))?.[0];
  if (size === undefined) throw new YmodemError('protocol', `block 0 for "${name}" gives no file size`, where);
  return { name, size: Number(size) };
}

export type Packet = { kind: 'eot' } | { kind: 'block'; num: number; data: Buffer } | { kind: 'bad'; why: string };

/**
 * The next thing the sender sent within `waitMs`, noise between blocks skipped: undefined for
 * silence, 'bad' for a block that arrived damaged. CAN CAN from the sender ends the transfer.
 */
export async function readPacket(reader: LinkReader, clock: Clock, waitMs: number, where: YmodemPlace): Promise<Packet | undefined> {
  const end = clock.monotonic() + waitMs;
  let cans = 0;
  for (;;) {
    const b = await reader.byte(end - clock.monotonic());
    if (b === undefined) return undefined;
    cans = b === CAN ? cans + 1 : 0;
    if (cans >= 2) throw new YmodemError('cancelled', 'cancelled by sender', where);
    if (b === EOT) return { kind: 'eot' };
    if (b !== SOH && b !== STX) continue;
    const size = b === STX ? 1024 : 128;
    const rest = await reader.take(size + 4, Math.min(MAX_BYTE_GAP_MS, waitMs));
    if (!rest) return { kind: 'bad', why: 'block cut short' };
    if (rest[0]! + rest[1]! !== 0xff) return { kind: 'bad', why: 'block number and its complement disagree' };
    const data = rest.subarray(2, 2 + size);
    if (crc16Xmodem(data) !== rest.readUInt16BE(2 + size)) return { kind: 'bad', why: 'CRC mismatch' };
    return { kind: 'block', num: rest[0]!, data };
  }
}

/** A reader whose waits end in a YmodemError when the caller aborts. */
export function ymodemReader(clock: Clock, link: SerialLink, where: YmodemPlace, signal?: AbortSignal): LinkReader {
  return new LinkReader(clock, link, () => new YmodemError('aborted', 'aborted by caller', where, { cause: signal?.reason }), signal);
}

/**
 * Tells the peer to stop (best effort: the link may be the thing that failed), without letting a
 * wedged link hold the caller past `ms`.
 */
export async function cancelPeer(link: SerialLink, clock: Clock, ms: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = clock.setTimeout(resolve, ms);
    link.write(CANCEL).catch(() => undefined).finally(() => { clock.clearTimeout(timer); resolve(); });
  });
}

/** Anything a transfer throws leaves as a YmodemError that says where it happened. */
export function asYmodemError(e: unknown, where: YmodemPlace): YmodemError {
  if (e instanceof YmodemError) return e;
  return new YmodemError('io', e instanceof Error ? e.message : String(e), where, { cause: e });
}
