/**
 * One slot made runnable: its board image checked whole (header, manifest, signature against
 * the board's trusted keys, every block, the payload hash, board type), its payload unpacked
 * into RAM once per payload (the agent, its native modules, perhaps a Node runtime).
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FlashSlots } from '../flash/slots.ts';
import type { Slot } from '../flash/boot-env.ts';
import { ImageError } from '../../images/format/errors.ts';
import type { PublicKey } from '../../images/format/keys.ts';
import type { Manifest } from '../../images/format/manifest.ts';
import { openImageStream } from '../../images/read-stream.ts';
import { extractArchive } from '../../images/archive/extract.ts';
import { asImageError } from '../../images/check-payload.ts';
import { sha256File } from '../../images/file-hash.ts';

export interface SlotCheck {
  keys: readonly PublicKey[];
  boardType: string;
  /** RAM folder for unpacked payloads, shared by the boards of one machine. */
  unpackDir: string;
}

export interface LoadedSlot {
  manifest: Manifest;
  /** The unpacked payload's folder. */
  dir: string;
  agentFile: string;
  defaults: string | null;
}

/** Throws ImageError naming the failed check. */
export async function loadSlot(slots: FlashSlots, slot: Slot, check: SlotCheck): Promise<LoadedSlot> {
  const name = `slot ${slot}`;
  const size = await slots.slotSize(slot);
  if (size === 0) throw new ImageError('size', name, 'the slot is empty');
  const { head, payload } = await openImageStream(createReadStream(slots.slotFile(slot), { highWaterMark: 1 << 20 }), { name, keys: check.keys, fileSize: size });
  const m = head.manifest;
  const refuse = (detail: string) => {
    payload.destroy();
    return new ImageError('board', name, detail);
  };
  if (m.kind !== 'board' || !m.board) throw refuse(`holds a ${m.kind} image, not a board image`);
  if (m.board.type !== check.boardType) throw refuse(`the image is for board type "${m.board.type}", this board is "${check.boardType}"`);
  const dir = join(check.unpackDir, m.payload.sha256);
  const loaded = { manifest: m, dir, agentFile: join(dir, m.board.agent.path), defaults: m.board.config ? join(dir, m.board.config) : null };
  if (existsSync(loaded.agentFile)) {
    // Unpacked before from the same verified payload; the slot is still checked every boot.
    for await (const _ of payload) { /* each block is verified as it passes */ }
    return loaded;
  }
  const tmp = join(check.unpackDir, `.${m.payload.sha256}.${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(tmp, { recursive: true });
  try {
    const unpack = extractArchive(tmp);
    payload.on('error', (e) => unpack.writable.destroy(e));
    payload.pipe(unpack.writable);
    await unpack.done.catch((e: unknown) => { throw asImageError(e, name); });
    const sha = await sha256File(join(tmp, m.board.agent.path)).catch(() => undefined);
    if (sha !== m.board.agent.sha256) throw new ImageError('board', name, sha ? 'the agent differs from the manifest' : `no agent at ${m.board.agent.path}`);
    // Boards booting the same image at once race to here; the first rename wins.
    await rename(tmp, dir).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e; });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return loaded;
}
