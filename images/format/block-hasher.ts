/**
 * Hashes a payload as it streams: its SHA-256 and the per-block hashes of the block map,
 * with all-zero blocks marked empty (null) so flashing can skip them.
 */
import { createHash, type Hash } from 'node:crypto';
import { BLOCK_SIZE } from './manifest.ts';

export interface PayloadDigest {
  size: number;
  sha256: string;
  blocks: (string | null)[];
}

export function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

export class BlockHasher {
  private readonly whole = createHash('sha256');
  private block: Hash = createHash('sha256');
  private inBlock = 0;
  private blockZero = true;
  private size = 0;
  readonly blocks: (string | null)[] = [];

  /** Called with each completed block's index and hash (null if empty). */
  constructor(private readonly onBlock?: (index: number, hash: string | null) => void) {}

  update(chunk: Buffer): void {
    this.whole.update(chunk);
    this.size += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      const part = chunk.subarray(off, off + BLOCK_SIZE - this.inBlock);
      this.block.update(part);
      if (this.blockZero && !isZero(part)) this.blockZero = false;
      this.inBlock += part.length;
      off += part.length;
      if (this.inBlock === BLOCK_SIZE) this.finishBlock();
    }
  }

  digest(): PayloadDigest {
    if (this.inBlock > 0) this.finishBlock();
    return { size: this.size, sha256: this.whole.digest('hex'), blocks: this.blocks };
  }

  private finishBlock(): void {
    const hash = this.blockZero ? null : this.block.digest('hex');
    this.blocks.push(hash);
    this.onBlock?.(this.blocks.length - 1, hash);
    this.block = createHash('sha256');
    this.inBlock = 0;
    this.blockZero = true;
  }
}
