import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { link, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { sharedSlotLoads, type SlotLoader } from '../../board/boot/shared-loads.ts';
import type { SlotCheck } from '../../board/boot/load-slot.ts';
import { tempDir } from '../support/temp-dir.ts';

const check: SlotCheck = { keys: [], boardType: 'sim', unpackDir: '/nowhere' };

/** Counts the real loads; each resolves to a result naming the slot file it was asked for. */
function countingLoader() {
  const asked: string[] = [];
  const load: SlotLoader = async (slots, slot) => {
    asked.push(slots.slotFile(slot));
    return { manifest: {} as never, dir: slots.slotFile(slot), agentFile: 'agent.mjs', defaults: null };
  };
  return { asked, load };
}

async function twoBoardsOneImage(dir: string) {
  const [a, b] = [openFlashSlots(join(dir, 'b1')), openFlashSlots(join(dir, 'b2'))];
  await Promise.all([mkdir(join(dir, 'b1')), mkdir(join(dir, 'b2'))]);
  await writeFile(a.slotFile('a'), 'image');
  await link(a.slotFile('a'), b.slotFile('a'));
  return { a, b };
}

test('boards whose slot is the same file share one load, even at once', async () => {
  const { path: dir, remove } = await tempDir('deskbox-shared-loads-');
  try {
    const { a, b } = await twoBoardsOneImage(dir);
    const { asked, load } = countingLoader();
    const shared = sharedSlotLoads(load);
    const [x, y] = await Promise.all([shared(a, 'a', check), shared(b, 'a', check)]);
    assert.is(asked.length, 1);
    assert.is(x, y);
  } finally {
    await remove();
  }
});

test('another file, another slot name, other keys, or a rewritten file load again', async () => {
  const { path: dir, remove } = await tempDir('deskbox-shared-loads-');
  try {
    const { a, b } = await twoBoardsOneImage(dir);
    await writeFile(a.slotFile('b'), 'other image');
    const { asked, load } = countingLoader();
    const shared = sharedSlotLoads(load);
    await shared(a, 'a', check);
    await shared(a, 'b', check);
    await shared(b, 'a', { ...check, boardType: 'other' });
    await writeFile(b.slotFile('a'), 'image, flashed again');
    await shared(b, 'a', check);
    await shared(a, 'c' as never, check);
    assert.is(asked.length, 5);
  } finally {
    await remove();
  }
});

test.run();
