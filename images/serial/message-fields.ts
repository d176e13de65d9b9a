/**
 * Reading and writing the fixed big-endian fields of message bodies. A reader that runs past
 * the end throws a WireError naming the field, so a malformed frame from a buggy or foreign
 * peer is reported precisely instead of surfacing as a RangeError deep in a handler.
 */

export class WireError extends Error {
  constructor(readonly what: string, detail: string) {
    super(`${what}: ${detail}`);
    this.name = 'WireError';
  }
}

export class WireReader {
  private at = 0;
  constructor(private readonly body: Buffer, private readonly what: string) {}

  private take(n: number, field: string): number {
    if (this.at + n > this.body.length) throw new WireError(this.what, `too short for ${field} (${this.body.length} bytes)`);
    const at = this.at;
    this.at += n;
    return at;
  }

  u8(field: string): number { return this.body.readUInt8(this.take(1, field)); }
  u16(field: string): number { return this.body.readUInt16BE(this.take(2, field)); }
  u32(field: string): number { return this.body.readUInt32BE(this.take(4, field)); }

  u64(field: string): number {
    const v = this.body.readBigUInt64BE(this.take(8, field));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError(this.what, `${field} ${v} is out of range`);
    return Number(v);
  }

  bytes(n: number, field: string): Buffer {
    const at = this.take(n, field);
    return this.body.subarray(at, at + n);
  }

  /** UTF-8 with a u8 (short) or u16 (long) length in front. */
  str(field: string, long = false): string {
    const n = long ? this.u16(field) : this.u8(field);
    return this.bytes(n, field).toString('utf8');
  }

  rest(): Buffer {
    const out = this.body.subarray(this.at);
    this.at = this.body.length;
    return out;
  }

  /** Fixed-size messages: bytes after the last field mean the peer speaks another layout. */
  end(): void {
    if (this.at !== this.body.length) throw new WireError(this.what, `${this.body.length - this.at} unexpected bytes at the end`);
  }
}

export class WireWriter {
  private readonly parts: Buffer[] = [];

  u8(v: number): this { return this.push(1, (b) => b.writeUInt8(v)); }
  u16(v: number): this { return this.push(2, (b) => b.writeUInt16BE(v)); }
  u32(v: number): this { return this.push(4, (b) => b.writeUInt32BE(v)); }
  u64(v: number): this { return this.push(8, (b) => b.writeBigUInt64BE(BigInt(v))); }

  bytes(b: Uint8Array): this {
    this.parts.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    return this;
  }

  /** Cut to the length field's limit at a character boundary, so a long message cannot break the frame. */
  str(s: string, long = false): this {
    const max = long ? 0xffff : 0xff;
    let b = Buffer.from(s, 'utf8');
    if (b.length > max) b = Buffer.from(b.subarray(0, max).toString('utf8').replace(/\uFFFD$/, ''), 'utf8');
    return (long ? this.u16(b.length) : this.u8(b.length)).bytes(b);
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }

  private push(n: number, write: (b: Buffer) => void): this {
    const b = Buffer.allocUnsafe(n);
    write(b);
    this.parts.push(b);
    return this;
  }
}
