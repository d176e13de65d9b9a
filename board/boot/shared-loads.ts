/**
 * Slot loads shared by the boards one boot program boots. A real board's boot program boots one
 * board, so nothing is ever shared there. A simulated desk's boots 35 boards whose slots are the
 * same file (desk up programs them as hard links of one image): checking it whole and unpacking
 * it 35 times at once, all racing for the same RAM folder, cost the desk most of its boot. The
 * same file, unchanged (same device, inode, size, mtime and ctime), the same slot name and the
 * same check give the same verdict: the first board's load is every such board's.
 */
import { stat } from 'node:fs/promises';
import type { FlashSlots } from '../flash/slots.ts';
import type { Slot } from '../flash/boot-env.ts';
import { loadSlot, type LoadedSlot, type SlotCheck } from './load-slot.ts';

export type SlotLoader = (slots: FlashSlots, slot: Slot, check: SlotCheck) => Promise<LoadedSlot>;

export function sharedSlotLoads(load: SlotLoader = loadSlot): SlotLoader {
  const loads = new Map<string, Promise<LoadedSlot>>();
  return async (slots, slot, check) => {
    // A slot that cannot be stat'ed goes its own way: loadSlot says what is wrong with it.
    const st = await stat(slots.slotFile(slot)).catch(() => undefined);
    if (!st) return load(slots, slot, check);
    const key = [st.dev, st.ino, st.size, st.mtimeMs, st.ctimeMs, slot, check.boardType, check.unpackDir,
      ...check.keys.map((k) => k.text)].join('\0');
    let shared = loads.get(key);
    if (!shared) {
      shared = load(slots, slot, check);
      loads.set(key, shared);
    }
    return shared;
  };
}
