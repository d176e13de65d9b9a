/**
 * Where a flash lands on the board: the image's head is checked first (signature with the
 * board's trusted keys, board type), then the board works out which payload blocks it still
 * needs: empty blocks are zeros already, blocks staged by an interrupted flash of the same
 * image are kept, and blocks whose hash it finds in either slot's image are copied locally
 * (checked again as they are copied). Only the rest crosses the serial line. Commit checks
 * the whole staged file, moves it into the slot the board is not running from and makes that
 * slot the trial for the next boot; the running slot is never written, so a power cut at any
 * moment leaves a bootable board.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Logger } from '../../platform/log.ts';
import { ImageError } from '../../images/format/errors.ts';
import { BLOCK_SIZE, type Manifest } from '../../images/format/manifest.ts';
import type { PublicKey } from '../../images/format/keys.ts';
import { openImageStream } from '../../images/read-stream.ts';
import { readImageHead, verifyImageFile } from '../../images/verify-file.ts';
import { otherSlot, startTrial, type Slot } from './boot-env.ts';
import type { FlashSlots } from './slots.ts';
import { clearStaging, openStaging, type Staging } from './staging.ts';

export interface SlotTargetDeps {
  slots: FlashSlots;
  /** The slot the running agent came from: never written. */
  booted: Slot;
  keys: readonly PublicKey[];
  boardType: string;
  logger: Logger;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every non-empty block of the images in the slots, by hash: where a copy can come from. */
async function blocksOnBoard(slots: FlashSlots): Promise<Map<string, { file: string; offset: number; length: number }>> {
  const found = new Map<string, { file: string; offset: number; length: number }>();
  for (const slot of ['a', 'b'] as const) {
    const file = slots.slotFile(slot);
    const head = await readImageHead(file).catch(() => undefined);
    if (!head) continue;
    const start = 32 + head.header.manifestLength + head.header.signatureLength;
    head.manifest.blocks.hashes.forEach((h, i) => {
      if (h && !found.has(h)) found.set(h, { file, offset: start + i * BLOCK_SIZE, length: Math.min(BLOCK_SIZE, head.manifest.payload.size - i * BLOCK_SIZE) });
    });
  }
  return found;
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer | undefined> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return undefined;
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return bytesRead === length ? buf : undefined;
  } finally {
    await fh.close();
  }
}

export function createSlotTarget(deps: SlotTargetDeps) {
  const { slots, logger } = deps;
  const target = otherSlot(deps.booted);
  let staging: Staging | undefined;
  let manifest: Manifest | undefined;
  let payloadStart = 0;

  return {
    async prepare(head: Buffer): Promise<{ need: number[] }> {
      await staging?.close();
      const opened = await openImageStream(Readable.from([head]), { name: 'incoming image', keys: deps.keys });
      opened.payload.destroy();
      const m = opened.head.manifest;
      if (m.kind !== 'board' || !m.board) throw new ImageError('board', 'incoming image', `a ${m.kind} image cannot be flashed into a slot; flash a board image`);
      if (m.board.type !== deps.boardType) throw new ImageError('board', 'incoming image', `the image is for board type "${m.board.type}", this board is "${deps.boardType}"`);
      manifest = m;
      payloadStart = head.length;
      staging = await openStaging(slots.dir, { sha256: m.payload.sha256, headLength: head.length, fileSize: head.length + m.payload.size });
      await staging.write(0, head);
      const have = await blocksOnBoard(slots);
      const need: number[] = [];
      const copied: number[] = [];
      for (const [i, hash] of m.blocks.hashes.entries()) {
        if (hash === null || staging.done.has(i)) continue;
        const from = have.get(hash);
        const data = from && await readAt(from.file, from.offset, from.length);
        if (data && sha256(data) === hash) {
          await staging.write(payloadStart + i * BLOCK_SIZE, data);
          copied.push(i);
        } else {
          need.push(i);
        }
      }
      await staging.markDone(copied);
      logger.info('flash prepared', { image: `${m.name} ${m.version}`, slot: target, blocks: m.blocks.hashes.length, need: need.length, copied: copied.length, resumed: staging.done.size - copied.length });
      return { need };
    },

    async writeBlock(index: number, data: Buffer): Promise<void> {
      if (!staging) throw new Error('writeBlock before prepare');
      await staging.write(payloadStart + index * BLOCK_SIZE, data);
      await staging.markDone([index]);
    },

    async commit(): Promise<{ slot: string; version: string }> {
      if (!staging || !manifest) throw new Error('commit before prepare');
      await staging.close();
      const file = staging.file;
      staging = undefined;
      const verdict = await verifyImageFile(file, { keys: deps.keys, boardType: deps.boardType });
      if (!verdict.ok) {
        // A staged image that fails its final check is not worth resuming.
        await clearStaging(slots.dir);
        throw new ImageError(verdict.error!.check, 'received image', verdict.error!.message);
      }
      await slots.adopt(target, file);
      await clearStaging(slots.dir);
      await slots.writeEnv(startTrial(target));
      logger.info('flash committed', { slot: target, image: `${manifest.name} ${manifest.version}` });
      return { slot: target, version: manifest.version };
    },

    async abandon(): Promise<void> {
      await staging?.close();
      staging = undefined;
    },
  };
}
