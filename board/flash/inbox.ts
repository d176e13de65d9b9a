/**
 * The inbox: a raw partition where a board's U-Boot writes an image it received over the
 * serial line (`loady`, then `virtio write` / `mmc write`), because U-Boot cannot safely write
 * a file into the Linux file system that holds the slots. At the next boot, before a slot is
 * chosen, the boot program copies the image out, checks it whole (signature, every block, board
 * type, carried guests) and makes it the trial of the inactive slot, exactly as a flash through
 * the agent would. Whatever it finds, it then clears the inbox's first block, so an image is
 * taken once; a power cut before that only finds the same image again, already in a slot.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { decodeHeader, HEADER_SIZE, MAGIC, imageFileSize } from '../../images/format/header.ts';
import { readImageHead, verifyImageFile } from '../../images/verify-file.ts';
import type { PublicKey } from '../../images/format/keys.ts';
import { otherSlot, SLOTS, startTrial, type Slot } from './boot-env.ts';
import type { FlashSlots } from './slots.ts';

export type InboxOutcome =
  | { kind: 'empty' }
  | { kind: 'adopted'; slot: Slot; image: string }
  | { kind: 'already'; slot: Slot }
  | { kind: 'refused'; reason: string };

/** The first block, where the image header sits: zero means empty. */
const CLEAR_BYTES = 512;

async function readStart(device: string): Promise<Buffer> {
  const fh = await open(device, 'r');
  try {
    const buf = Buffer.alloc(HEADER_SIZE);
    const { bytesRead } = await fh.read(buf, 0, HEADER_SIZE, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function clear(device: string): Promise<void> {
  const fh = await open(device, 'r+');
  try {
    await fh.write(Buffer.alloc(CLEAR_BYTES), 0, CLEAR_BYTES, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The slot holding this very image (same manifest, so same version and payload), if one does. */
async function slotHolding(slots: FlashSlots, manifestBytes: Buffer): Promise<Slot | undefined> {
  for (const s of SLOTS) {
    if ((await slots.slotSize(s)) === 0) continue;
    const head = await readImageHead(slots.slotFile(s)).catch(() => undefined);
    if (head?.manifestBytes.equals(manifestBytes)) return s;
  }
  return undefined;
}

export async function adoptInbox(slots: FlashSlots, device: string, check: { keys: readonly PublicKey[]; boardType: string }): Promise<InboxOutcome> {
  const start = await readStart(device);
  if (start.length < MAGIC.length || !start.subarray(0, MAGIC.length).equals(MAGIC)) return { kind: 'empty' };
  const staged = join(slots.dir, `.inbox.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const size = imageFileSize(decodeHeader(start, `inbox ${device}`));
    await pipeline(createReadStream(device, { start: 0, end: size - 1, highWaterMark: 1 << 20 }), createWriteStream(staged));
    const verdict = await verifyImageFile(staged, { keys: check.keys, boardType: check.boardType });
    const m = verdict.manifest;
    if (!verdict.ok || !m) return { kind: 'refused', reason: verdict.error?.message ?? 'unreadable' };
    if (m.kind !== 'board') return { kind: 'refused', reason: `holds a ${m.kind} image, not a board image` };
    const already = await slotHolding(slots, (await readImageHead(staged)).manifestBytes);
    if (already) return { kind: 'already', slot: already };
    const env = await slots.readEnv();
    const slot = env ? otherSlot(env.active) : 'a';
    await slots.adopt(slot, staged);
    await slots.writeEnv(env ? startTrial(slot) : { v: 1, active: slot });
    return { kind: 'adopted', slot, image: `${m.name} ${m.version}` };
  } catch (e) {
    return { kind: 'refused', reason: (e as Error).message };
  } finally {
    await rm(staged, { force: true });
    await clear(device);
  }
}
