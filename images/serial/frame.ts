/**
 * Frames on the console (docs/serial-protocol.md, "Framing"): COBS(body ‖ CRC-32(body)) and a
 * 0x00 delimiter. The decoder takes whatever chunks the port hands over, with text and line
 * noise around and inside frames, and yields only bodies whose CRC holds; a damaged frame is
 * dropped here and recovered by retransmission above.
 */
import { crc32 } from '../format/crc32.ts';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from './cobs.ts';

const CRC_BYTES = 4;
const DELIMITER = 0x00;

/** Largest frame body either end sends or accepts in protocol v1 (a DATA chunk of 8 KiB, a PLAN of ~130k blocks). */
export const MAX_FRAME_BODY = 16384;

/**
 * The frame's bytes on the wire. `lead` puts a delimiter in front as well: whatever text sits
 * in the far end's decoder (a prompt, keystrokes) then ends there instead of sticking to the
 * front of this frame and costing it.
 */
export function encodeFrame(body: Uint8Array, opts: { lead?: boolean } = {}): Buffer {
  const withCrc = Buffer.allocUnsafe(body.length + CRC_BYTES);
  withCrc.set(body, 0);
  withCrc.writeUInt32BE(crc32(body), body.length);
  const cobs = cobsEncode(withCrc);
  const lead = opts.lead ? 1 : 0;
  const out = Buffer.allocUnsafe(lead + cobs.length + 1);
  if (lead) out[0] = DELIMITER;
  cobs.copy(out, lead);
  out[out.length - 1] = DELIMITER;
  return out;
}

export interface FrameStats {
  /** Frames that passed the CRC. */
  good: number;
  /** Non-empty stretches between delimiters that were not a valid frame: damage, or text. */
  bad: number;
  /** Stretches longer than any frame can be, discarded without being buffered. */
  oversize: number;
}

export class FrameDecoder {
  readonly stats: FrameStats = { good: 0, bad: 0, oversize: 0 };
  private readonly maxEncoded: number;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Inside a stretch that already outgrew the limit: skip to the next delimiter. */
  private skipping = false;

  constructor(maxBody = MAX_FRAME_BODY) {
    this.maxEncoded = cobsMaxEncodedLength(maxBody + CRC_BYTES);
  }

  /** The bodies of the valid frames completed by `chunk`, in order. */
  push(chunk: Buffer): Buffer[] {
    const bodies: Buffer[] = [];
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(DELIMITER, start);
      if (end === -1) {
        this.keep(chunk.subarray(start));
        return bodies;
      }
      this.keep(chunk.subarray(start, end));
      const body = this.finish();
      if (body) bodies.push(body);
      start = end + 1;
    }
  }

  private keep(part: Buffer): void {
    if (part.length === 0 || this.skipping) return;
    if (this.partsBytes + part.length > this.maxEncoded) {
      // Junk without delimiters (a person typing, a binary dump) must not grow memory.
      this.skipping = true;
      this.stats.oversize++;
      this.parts = [];
      this.partsBytes = 0;
      return;
    }
    // Copied: the port may reuse its chunk buffer after the callback returns.
    this.parts.push(Buffer.from(part));
    this.partsBytes += part.length;
  }

  private finish(): Buffer | undefined {
    const skipped = this.skipping;
    const encoded = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsBytes);
    this.skipping = false;
    this.parts = [];
    this.partsBytes = 0;
    if (skipped || encoded.length === 0) return undefined;
    const decoded = cobsDecode(encoded);
    if (!decoded || decoded.length <= CRC_BYTES) {
      this.stats.bad++;
      return undefined;
    }
    const body = decoded.subarray(0, decoded.length - CRC_BYTES);
    if (decoded.readUInt32BE(body.length) !== crc32(body)) {
      this.stats.bad++;
      return undefined;
    }
    this.stats.good++;
    return body;
  }
}
