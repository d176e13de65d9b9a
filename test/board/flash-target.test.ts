import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryLogger } from '../../platform/log.ts';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { confirmBoot, MAX_TRIES, planBoot, startTrial } from '../../board/flash/boot-env.ts';
import { createSlotTarget } from '../../board/flash/slot-target.ts';
import { stagingPaths } from '../../board/flash/staging.ts';
import { generateKeys } from '../../images/format/keys.ts';
import { BLOCK_SIZE } from '../../images/format/manifest.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { bootBoard } from '../../board/boot/boot-board.ts';
import { tempDir } from '../support/temp-dir.ts';

const key = generateKeys();
const signer = { id: key.publicKey.id, key: createPrivateKey(key.privatePem) };

/** A board image whose agent is `agent` bytes: blocks follow the agent's bytes one to one. */
async function image(dir: string, name: string, agent: Buffer, type = 'sim') {
  await writeFile(join(dir, `${name}.mjs`), agent);
  return buildBoardImage({ out: join(dir, `${name}.dbi`), agent: join(dir, `${name}.mjs`), agentVersion: name, guests: [], type, name: 'img', version: name, arch: 'x86_64', key: signer });
}

async function setup() {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-flash-target-');
  const slots = openFlashSlots(join(dir, 'flash'));
  const agent = Buffer.concat([randomBytes(6 * BLOCK_SIZE), Buffer.alloc(3 * BLOCK_SIZE), randomBytes(BLOCK_SIZE)]);
  const v1 = await image(dir, 'v1', agent);
  await slots.install('a', v1.file);
  await slots.writeEnv({ v: 1, active: 'a' });
  const target = () => createSlotTarget({ slots, booted: 'a', keys: [key.publicKey], boardType: 'sim', logger: memoryLogger() });
  return { dir, removeDir, slots, agent, v1, target };
}

async function headAndBlocks(file: string) {
  const bytes = await readFile(file);
  const m = JSON.parse(bytes.subarray(32, 32 + bytes.readUInt32BE(12)).toString());
  const headLength = 32 + bytes.readUInt32BE(12) + bytes.readUInt32BE(16);
  const block = (i: number) => bytes.subarray(headLength + i * BLOCK_SIZE, Math.min(bytes.length, headLength + (i + 1) * BLOCK_SIZE));
  return { head: bytes.subarray(0, headLength), block, manifest: m, bytes };
}

test('boot environment: a trial slot boots at most MAX_TRIES times unconfirmed, then the active slot for good', () => {
  let env = startTrial('b');
  assert.equal(env, { v: 1, active: 'a', trial: { slot: 'b', tries: 0 } });
  for (let i = 1; i <= MAX_TRIES; i++) {
    const p = planBoot(env);
    assert.is(p.slot, 'b');
    env = p.save!;
    assert.is(env.trial!.tries, i);
  }
  const last = planBoot(env);
  assert.is(last.slot, 'a');
  assert.is(last.gaveUp, 'b');
  assert.equal(last.save, { v: 1, active: 'a' });
  assert.equal(confirmBoot({ v: 1, active: 'a', trial: { slot: 'b', tries: 2 } }, 'b'), { v: 1, active: 'b' });
  assert.is(confirmBoot({ v: 1, active: 'a' }, 'a'), undefined, 'nothing to confirm');
});

test('prepare: empty blocks and blocks the board holds are not asked for; commit makes the new slot the trial', async () => {
  const t = await setup();
  try {
    const changed = Buffer.from(t.agent);
    randomBytes(BLOCK_SIZE).copy(changed, 2 * BLOCK_SIZE);
    const v2 = await image(t.dir, 'v2', changed);
    const src = await headAndBlocks(v2.file);
    const target = t.target();
    const { need } = await target.prepare(src.head);
    // Only the changed region crosses the line: one or two blocks depending on how the tar aligns it.
    assert.ok(need.length >= 1 && need.length <= 2, `need ${need}`);
    assert.ok(need.length < src.manifest.blocks.hashes.filter((h: string | null) => h).length);
    for (const i of need) await target.writeBlock(i, src.block(i));
    const result = await target.commit();
    assert.equal(result, { slot: 'b', version: 'v2' });
    assert.ok((await readFile(t.slots.slotFile('b'))).equals(src.bytes), 'slot b holds the image byte for byte');
    assert.equal(await t.slots.readEnv(), { v: 1, active: 'a', trial: { slot: 'b', tries: 0 } });
    assert.not.ok(existsSync(stagingPaths(t.slots.dir).journal));
    // The boot ROM tries the new slot; once confirmed it is the active one.
    const booted = await bootBoard('b01', t.slots, join(t.dir, 'boot.json'), { keys: [key.publicKey], boardType: 'sim', unpackDir: join(t.dir, 'cache'), console: () => {}, logger: memoryLogger() });
    assert.is(booted.slot, 'b');
    await t.slots.writeEnv(confirmBoot((await t.slots.readEnv())!, 'b')!);
    assert.equal(await t.slots.readEnv(), { v: 1, active: 'b' });
  } finally {
    await t.removeDir();
  }
});

test('an interrupted flash resumes: staged blocks are not asked for again; another image starts over', async () => {
  const t = await setup();
  try {
    const v2 = await image(t.dir, 'v2', randomBytes(8 * BLOCK_SIZE));
    const src = await headAndBlocks(v2.file);
    const first = t.target();
    const all = (await first.prepare(src.head)).need;
    assert.ok(all.length >= 8);
    for (const i of all.slice(0, 3)) await first.writeBlock(i, src.block(i));
    await first.abandon();
    const second = t.target();
    const rest = (await second.prepare(src.head)).need;
    assert.equal(rest, all.slice(3));
    await second.abandon();
    const v3 = await image(t.dir, 'v3', randomBytes(8 * BLOCK_SIZE));
    const other = await headAndBlocks(v3.file);
    const third = t.target();
    assert.ok((await third.prepare(other.head)).need.length >= 8, 'a different image does not inherit the staged blocks');
    await third.abandon();
  } finally {
    await t.removeDir();
  }
});

test('refusals before any payload: wrong key, wrong board type, a guest image; a bad block fails the commit', async () => {
  const t = await setup();
  try {
    const strange = generateKeys();
    await writeFile(join(t.dir, 's.mjs'), 'x');
    const foreign = await buildBoardImage({ out: join(t.dir, 's.dbi'), agent: join(t.dir, 's.mjs'), agentVersion: 's', guests: [], type: 'sim', name: 'img', version: 's', arch: 'x86_64', key: { id: strange.publicKey.id, key: createPrivateKey(strange.privatePem) } });
    const refuse = async (file: string, re: RegExp) => {
      try {
        await t.target().prepare((await headAndBlocks(file)).head);
        assert.unreachable('accepted');
      } catch (e) {
        assert.match((e as Error).message, re);
      }
    };
    await refuse(foreign.file, /signature: signed by key/);
    const bbb = await image(t.dir, 'bbb', Buffer.from('x'), 'beaglebone');
    await refuse(bbb.file, /board type "beaglebone", this board is "sim"/);
    const v2 = await image(t.dir, 'v2', randomBytes(2 * BLOCK_SIZE));
    const src = await headAndBlocks(v2.file);
    const target = t.target();
    const { need } = await target.prepare(src.head);
    for (const i of need) await target.writeBlock(i, i === need[0] ? randomBytes(src.block(i).length) : src.block(i));
    try {
      await target.commit();
      assert.unreachable('a bad block was committed');
    } catch (e) {
      assert.match((e as Error).message, /blocks: block/);
    }
    assert.equal(await t.slots.readEnv(), { v: 1, active: 'a' }, 'boot environment untouched');
    assert.not.ok(existsSync(t.slots.slotFile('b')));
  } finally {
    await t.removeDir();
  }
});

test.run();
