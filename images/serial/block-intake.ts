/**
 * The board's data path: DATA chunks into block assemblies, finished blocks checked against
 * the signed manifest's hash, then handed to the target one at a time. Memory is bounded by
 * the receive window, counted in block bytes (a deflated chunk counts what it inflates to):
 * blocks in assembly and blocks waiting for their write count against it, ACKs advertise
 * what is left, and chunks beyond a hard cap (a host ignoring the window) are dropped.
 */
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, type Manifest } from '../format/manifest.ts';
import { BlockAssembly, BlockAssemblyError } from './block-assembly.ts';
import { windowCost, type ErrorCode, type MessageOf } from './messages.ts';
import type { FlashTarget } from './target.ts';

export interface IntakeDeps {
  manifest: Manifest;
  /** Blocks the board asked for. */
  need: ReadonlySet<number>;
  target: FlashTarget;
  windowBytes: number;
  maxChunk: number;
  /** Runs `fn` after the target's earlier calls, never beside them. */
  enqueue(fn: () => Promise<void>): Promise<void>;
  onWritten(): void;
  fail(code: ErrorCode, message: string): void;
}

export class BlockIntake {
  private held = 0;
  private writesPending = 0;
  private readonly assemblies = new Map<number, BlockAssembly>();
  private readonly missing: Set<number>;

  constructor(private readonly d: IntakeDeps) {
    this.missing = new Set(d.need);
  }

  /** Free bytes of the receive window, for ACK. */
  get window(): number {
    return Math.max(0, this.d.windowBytes - this.held);
  }

  /** Every asked-for block is written. */
  get complete(): boolean {
    return this.missing.size === 0 && this.writesPending === 0;
  }

  /** Some DATA has arrived. */
  get started(): boolean {
    return this.held > 0 || this.writesPending > 0 || this.missing.size < this.d.need.size;
  }

  get busy(): boolean {
    return this.writesPending > 0;
  }

  /** Blocks not yet whole. */
  get stillMissing(): number[] {
    return [...this.missing];
  }

  /** True when the chunk was taken in; false when dropped (over the hard cap) or refused (fail() was called). */
  add(m: MessageOf<'data'>): boolean {
    const { block, offset, encodedLength, compressed, bytes } = m;
    const rawLength = this.blockLength(block);
    if (!this.missing.has(block)) return this.refuse(`block ${block} was not asked for, or is already in`);
    if (bytes.length === 0 || bytes.length > this.d.maxChunk || encodedLength > rawLength || offset + bytes.length > encodedLength) {
      return this.refuse(`block ${block}: chunk at ${offset} of ${bytes.length} bytes does not fit (encoded ${encodedLength}, block ${rawLength}, max chunk ${this.d.maxChunk})`);
    }
    const cost = windowCost(bytes.length, rawLength, encodedLength);
    if (this.held + cost > this.d.windowBytes + 2 * BLOCK_SIZE) return false;
    let a = this.assemblies.get(block);
    if (!a) this.assemblies.set(block, (a = new BlockAssembly(block, encodedLength, compressed)));
    if (a.encodedLength !== encodedLength || a.compressed !== compressed) return this.refuse(`block ${block}: chunks disagree on its encoding`);
    if (!a.add(offset, bytes)) return this.refuse(`block ${block}: chunk at ${offset} overlaps another`);
    a.cost += cost;
    this.held += cost;
    if (a.complete) this.finish(a, rawLength);
    return true;
  }

  private finish(a: BlockAssembly, rawLength: number): void {
    this.assemblies.delete(a.block);
    this.missing.delete(a.block);
    let data: Buffer;
    try {
      data = a.finish(rawLength);
    } catch (e) {
      if (e instanceof BlockAssemblyError) return void this.d.fail('block', e.message);
      throw e;
    }
    if (createHash('sha256').update(data).digest('hex') !== this.d.manifest.blocks.hashes[a.block]) {
      return void this.d.fail('block', `block ${a.block} does not match its hash in the manifest`);
    }
    // From here the block holds its raw bytes until written, whatever its chunks were charged.
    this.held += data.length - a.cost;
    this.writesPending++;
    this.d.enqueue(() => this.d.target.writeBlock(a.block, data)).then(
      () => {
        this.held -= data.length;
        this.writesPending--;
        this.d.onWritten();
      },
      (e: Error) => this.d.fail('storage', `writing block ${a.block}: ${e.message}`),
    );
  }

  private blockLength(index: number): number {
    return Math.max(0, Math.min(BLOCK_SIZE, this.d.manifest.payload.size - index * BLOCK_SIZE));
  }

  private refuse(message: string): false {
    this.d.fail('protocol', message);
    return false;
  }
}
