/**
 * The host's reading of the board's PLAN against the image, and the report it ends with:
 * which blocks go on the line, which are empty or already on the board, and what that cost.
 */
import { FlashError } from './errors.ts';
import { bitAt, type MessageOf } from './messages.ts';
import type { SendReport } from './sender.ts';
import type { SourceImage } from './source-image.ts';

export interface PlannedBlocks {
  /** Indexes to send, in order. */
  need: number[];
  empty: number;
  onBoard: number;
  /** Bytes of the payload that need no sending (empty or on the board). */
  skippedBytes: number;
}

export function readPlan(plan: MessageOf<'plan'>, source: SourceImage, where: string): PlannedBlocks {
  const hashes = source.manifest.blocks.hashes;
  if (plan.blockCount !== hashes.length) throw new FlashError('protocol', where, `the board planned ${plan.blockCount} blocks; the image has ${hashes.length}`);
  // The board decides what it needs; empty blocks are never sent, whatever it says.
  const need = hashes.flatMap((h, i) => (h !== null && bitAt(plan.need, i) ? [i] : []));
  const needed = new Set(need);
  const empty = hashes.filter((h) => h === null).length;
  const skippedBytes = hashes.reduce((sum, _, i) => sum + (needed.has(i) ? 0 : source.blockLength(i)), 0);
  return { need, empty, onBoard: hashes.length - empty - need.length, skippedBytes };
}

export function buildReport(o: {
  result: MessageOf<'result'>;
  source: SourceImage;
  planned: PlannedBlocks;
  wireBytes: number;
  retransmits: number;
  stats: { rawBytes: number; encodedBytes: number };
  ms: number;
}): SendReport {
  const { planned, stats } = o;
  return {
    result: { slot: o.result.slot, version: o.result.version },
    imageBytes: o.source.imageBytes,
    wireBytes: o.wireBytes,
    blocks: { total: o.source.manifest.blocks.hashes.length, sent: planned.need.length, empty: planned.empty, onBoard: planned.onBoard },
    retransmits: o.retransmits,
    compressedRatio: stats.rawBytes > 0 ? stats.encodedBytes / stats.rawBytes : 1,
    ms: o.ms,
  };
}
