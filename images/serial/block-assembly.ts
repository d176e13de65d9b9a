/**
 * One payload block being put back together from DATA chunks, which may arrive in any order
 * and twice. Finishing checks that the chunks tile the encoded block exactly and inflates it
 * with an output cap, so a corrupt or hostile stream cannot make the board allocate more
 * than one block.
 */
import { inflateRawSync } from 'node:zlib';

export class BlockAssemblyError extends Error {
  constructor(readonly block: number, detail: string) {
    super(`block ${block}: ${detail}`);
    this.name = 'BlockAssemblyError';
  }
}

export class BlockAssembly {
  /** Encoded bytes received so far. */
  received = 0;
  /** What the chunks in cost the board's window (messages.ts windowCost). */
  cost = 0;
  private readonly parts = new Map<number, Buffer>();

  constructor(readonly block: number, readonly encodedLength: number, readonly compressed: boolean) {}

  get complete(): boolean {
    return this.received === this.encodedLength;
  }

  /** False when the chunk overlaps one already in (a host that re-cut the block). */
  add(offset: number, bytes: Buffer): boolean {
    const end = offset + bytes.length;
    for (const [at, part] of this.parts) if (offset < at + part.length && at < end) return false;
    this.parts.set(offset, bytes);
    this.received += bytes.length;
    return true;
  }

  /** The raw block, which must be `expectedLength` bytes. */
  finish(expectedLength: number): Buffer {
    const encoded = Buffer.concat([...this.parts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]));
    this.parts.clear();
    if (!this.compressed) {
      if (encoded.length !== expectedLength) throw new BlockAssemblyError(this.block, `${encoded.length} bytes, expected ${expectedLength}`);
      return encoded;
    }
    let raw: Buffer;
    try {
      raw = inflateRawSync(encoded, { maxOutputLength: expectedLength });
    } catch (e) {
      throw new BlockAssemblyError(this.block, `does not inflate to ${expectedLength} bytes (${(e as Error).message})`);
    }
    if (raw.length !== expectedLength) throw new BlockAssemblyError(this.block, `inflates to ${raw.length} bytes, expected ${expectedLength}`);
    return raw;
  }
}
