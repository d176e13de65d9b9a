/**
 * Turns the board's list of needed blocks into DATA chunks, a few blocks ahead of the line:
 * reading and compressing the next block overlaps with sending the current one, and the
 * read-ahead bound keeps the host's memory to a few blocks whatever the image size. Blocks
 * are cut into chunks only as they are sent, at the size the line suits right then.
 */
import { encodeBlock, type SourceImage } from './source-image.ts';

export interface DataChunk {
  block: number;
  offset: number;
  encodedLength: number;
  compressed: boolean;
  bytes: Buffer;
  /** The block's own length (its encoded form may be shorter). */
  blockLength: number;
  /** The block's last chunk. */
  last: boolean;
}

export interface FeederOptions {
  /** Blocks read and encoded ahead of the one being sent. */
  readAhead: number;
  level?: number;
  /** A chunk became available after peek() had said none. */
  onReady(): void;
  onError(e: unknown): void;
}

interface ReadyBlock { block: number; bytes: Buffer; compressed: boolean; offset: number; blockLength: number }

export class BlockFeeder {
  readonly stats = { blocks: 0, rawBytes: 0, encodedBytes: 0 };
  private readonly ready: ReadyBlock[] = [];
  private nextIndex = 0;
  private reading = false;
  private stopped = false;

  constructor(private readonly source: SourceImage, private readonly need: readonly number[], private readonly opts: FeederOptions) {}

  start(): void {
    void this.fill();
  }

  /** The next chunk at most `max` long, before taking it: undefined when none is ready yet (or none is left). */
  peek(max: number): { length: number; blockLength: number; encodedLength: number } | undefined {
    const head = this.ready[0];
    return head && { length: Math.min(max, head.bytes.length - head.offset), blockLength: head.blockLength, encodedLength: head.bytes.length };
  }

  take(max: number): DataChunk | undefined {
    const head = this.ready[0];
    if (!head) return undefined;
    const bytes = head.bytes.subarray(head.offset, head.offset + max);
    const chunk: DataChunk = { block: head.block, offset: head.offset, encodedLength: head.bytes.length, compressed: head.compressed, bytes, blockLength: head.blockLength, last: false };
    head.offset += bytes.length;
    if (head.offset === head.bytes.length) {
      chunk.last = true;
      this.ready.shift();
      void this.fill();
    }
    return chunk;
  }

  /** Every chunk of every needed block has been taken. */
  get exhausted(): boolean {
    return this.nextIndex >= this.need.length && this.ready.length === 0 && !this.reading;
  }

  stop(): void {
    this.stopped = true;
  }

  private async fill(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      while (!this.stopped && this.ready.length < this.opts.readAhead && this.nextIndex < this.need.length) {
        const block = this.need[this.nextIndex++]!;
        const raw = await this.source.readBlock(block);
        if (this.stopped) return;
        const { bytes, compressed } = encodeBlock(raw, this.opts.level);
        this.stats.blocks++;
        this.stats.rawBytes += raw.length;
        this.stats.encodedBytes += bytes.length;
        this.ready.push({ block, bytes, compressed, offset: 0, blockLength: raw.length });
        this.opts.onReady();
      }
    } catch (e) {
      this.opts.onError(e);
    } finally {
      this.reading = false;
    }
    // The last block's chunks were all taken while the final read ran: say so now.
    if (this.exhausted) this.opts.onReady();
  }
}
