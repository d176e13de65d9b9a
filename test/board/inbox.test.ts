/**
 * The inbox U-Boot's flash writes to (board/flash/inbox.ts), with a plain file standing in for
 * the raw partition: what the boot program takes from it, what it refuses, and that it takes an
 * image once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrivateKey } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { adoptInbox } from '../../board/flash/inbox.ts';
import { generateKeys } from '../../images/format/keys.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { tempDir } from '../support/temp-dir.ts';

const INBOX_BYTES = 4 * 1024 * 1024;

async function setup() {
  const work = await tempDir('deskbox-inbox-');
  const key = generateKeys();
  const image = async (version: string, type = 'qemu-virt') => {
    await writeFile(join(work.path, `${version}.mjs`), `export const v = ${JSON.stringify(version)};\n`);
    return (await buildBoardImage({
      out: join(work.path, `${version}.dbi`), agent: join(work.path, `${version}.mjs`), agentVersion: version, guests: [], type, name: 'board', version, arch: 'armv7',
      key: { id: key.publicKey.id, key: createPrivateKey(key.privatePem) },
    })).file;
  };
  const inbox = join(work.path, 'vda4');
  /** As U-Boot leaves it: the image from the first block on, then whatever was there (zeros here). */
  const writeInbox = async (file: string) => {
    const fh = await open(inbox, 'w');
    await fh.truncate(INBOX_BYTES);
    await fh.write(await readFile(file), 0, undefined, 0);
    await fh.close();
  };
  const slots = openFlashSlots(join(work.path, 'flash'));
  const check = { keys: [key.publicKey], boardType: 'qemu-virt' };
  return { work, image, inbox, writeInbox, slots, check };
}

const firstBlockIsZero = async (file: string) => (await readFile(file)).subarray(0, 512).every((b) => b === 0);

test('an image in the inbox becomes the inactive slot\'s trial, and the inbox is cleared', async () => {
  const t = await setup();
  try {
    await t.slots.install('a', await t.image('v1'));
    await t.slots.writeEnv({ v: 1, active: 'a' });
    const v2 = await t.image('v2');
    await t.writeInbox(v2);
    assert.equal(await adoptInbox(t.slots, t.inbox, t.check), { kind: 'adopted', slot: 'b', image: 'board v2' });
    assert.equal(await t.slots.readEnv(), { v: 1, active: 'a', trial: { slot: 'b', tries: 0 } });
    assert.equal(await readFile(t.slots.slotFile('b')), await readFile(v2));
    assert.ok(await firstBlockIsZero(t.inbox));
    assert.equal(await adoptInbox(t.slots, t.inbox, t.check), { kind: 'empty' });
  } finally {
    await t.work.remove();
  }
});

test('an image already in a slot (a power cut before the inbox was cleared) changes nothing', async () => {
  const t = await setup();
  try {
    const v1 = await t.image('v1');
    await t.slots.install('a', v1);
    await t.slots.writeEnv({ v: 1, active: 'a' });
    await t.writeInbox(v1);
    assert.equal(await adoptInbox(t.slots, t.inbox, t.check), { kind: 'already', slot: 'a' });
    assert.equal(await t.slots.readEnv(), { v: 1, active: 'a' });
    assert.ok(await firstBlockIsZero(t.inbox));
  } finally {
    await t.work.remove();
  }
});

test('a damaged, foreign or truncated image is refused with its reason, and dropped; the slots stay as they were', async () => {
  const t = await setup();
  try {
    await t.slots.install('a', await t.image('v1'));
    await t.slots.writeEnv({ v: 1, active: 'a' });
    const v2 = await readFile(await t.image('v2'));
    const damaged = Buffer.from(v2);
    damaged[damaged.length - 10]! ^= 0x40;
    const cases: [Buffer, RegExp][] = [
      [damaged, /block|hash|sha/i],
      [await readFile(await t.image('v3', 'bbb')), /board type/],
      // Cut short: U-Boot stopped half-way, and the rest of the inbox holds zeros.
      [v2.subarray(0, v2.length >> 1), /block|hash/i],
    ];
    for (const [bytes, reason] of cases) {
      await writeFile(join(t.work.path, 'candidate.dbi'), bytes);
      await t.writeInbox(join(t.work.path, 'candidate.dbi'));
      const taken = await adoptInbox(t.slots, t.inbox, t.check);
      assert.is(taken.kind, 'refused', `${reason}: ${JSON.stringify(taken)}`);
      assert.match((taken as { reason: string }).reason, reason);
      assert.ok(await firstBlockIsZero(t.inbox));
    }
    assert.equal(await t.slots.readEnv(), { v: 1, active: 'a' });
    assert.is(await t.slots.slotSize('b'), 0);
  } finally {
    await t.work.remove();
  }
});

test.run();
