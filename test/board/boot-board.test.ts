import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryLogger } from '../../platform/log.ts';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { readBootInfo } from '../../board/flash/boot-info.ts';
import { generateKeys, type PublicKey } from '../../images/format/keys.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { bootBoard, BootError } from '../../board/boot/boot-board.ts';
import { tempDir } from '../support/temp-dir.ts';

/** A board image around a stand-in agent: the boot ROM neither runs nor cares what the agent does. */
async function boardImage(dir: string, name: string, agentText: string, opts: { key: ReturnType<typeof generateKeys>; type?: string }) {
  const agent = join(dir, `${name}.mjs`);
  await writeFile(agent, agentText);
  const defaults = { telemetryPeriodS: 5 };
  return buildBoardImage({
    out: join(dir, `${name}.dbi`), agent, agentVersion: name, defaults, guests: [], type: opts.type ?? 'sim', name: 'b', version: name, arch: 'x86_64',
    key: { id: opts.key.publicKey.id, key: createPrivateKey(opts.key.privatePem) },
  });
}

async function setup() {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-bootrom-');
  const key = generateKeys();
  const slots = openFlashSlots(join(dir, 'flash'));
  const lines: string[] = [];
  const deps = (keys: PublicKey[] = [key.publicKey], boardType = 'sim') => ({
    keys, boardType, unpackDir: join(dir, 'cache'), console: (l: string) => lines.push(l), logger: memoryLogger(),
  });
  return { dir, removeDir, key, slots, lines, deps, info: join(dir, 'boot.json') };
}

async function rejects(fn: () => Promise<unknown>, expected: RegExp | ((e: Error) => boolean)): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const ok = expected instanceof RegExp ? expected.test((e as Error).message) : expected(e as Error);
    assert.ok(ok, `unexpected error: ${(e as Error).message}`);
    return;
  }
  assert.unreachable('expected a rejection');
}

async function flipByte(file: string, at: number) {
  const fh = await open(file, 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, at);
  b[0]! ^= 0x40;
  await fh.write(b, 0, 1, at);
  await fh.close();
}

test('boots the active slot: agent unpacked, boot info written, console told', async () => {
  const t = await setup();
  try {
    const v1 = await boardImage(t.dir, 'v1', 'export const v = 1;\n', { key: t.key });
    await t.slots.install('a', v1.file);
    await t.slots.writeEnv({ v: 1, active: 'a' });
    const booted = await bootBoard('b01', t.slots, t.info, t.deps());
    assert.is(booted.slot, 'a');
    assert.is(await readFile(booted.agentFile, 'utf8'), 'export const v = 1;\n');
    const info = await readBootInfo(t.info);
    assert.is(info.slot, 'a');
    assert.is(info.image.version, 'v1');
    assert.equal(JSON.parse(await readFile(info.defaults!, 'utf8')), { telemetryPeriodS: 5 });
    assert.ok(t.lines.some((l) => l.includes('slot a: b v1') && l.includes('verified')), t.lines.join('\n'));
    // A second boot of the same image reuses the unpacked agent but still checks the slot.
    await flipByte(t.slots.slotFile('a'), v1.bytes - 10);
    await rejects(() => bootBoard('b01', t.slots, t.info, t.deps()), (e: Error) => e instanceof BootError && /slot a: blocks: block/.test(e.message));
  } finally {
    await t.removeDir();
  }
});

test('a re-flashed inactive slot that is switched to runs the new agent', async () => {
  const t = await setup();
  try {
    const v1 = await boardImage(t.dir, 'v1', 'export const v = 1;\n', { key: t.key });
    const v2 = await boardImage(t.dir, 'v2', 'export const v = 2;\n', { key: t.key });
    await t.slots.install('a', v1.file);
    await t.slots.install('b', v2.file);
    await t.slots.writeEnv({ v: 1, active: 'b' });
    const booted = await bootBoard('b01', t.slots, t.info, t.deps());
    assert.is(booted.slot, 'b');
    assert.is(await readFile(booted.agentFile, 'utf8'), 'export const v = 2;\n');
  } finally {
    await t.removeDir();
  }
});

test('a bad active slot falls back to the other one and the environment follows', async () => {
  const t = await setup();
  try {
    const v1 = await boardImage(t.dir, 'v1', 'export const v = 1;\n', { key: t.key });
    const v2 = await boardImage(t.dir, 'v2', 'export const v = 2;\n', { key: t.key });
    await t.slots.install('a', v1.file);
    await t.slots.install('b', v2.file);
    await t.slots.writeEnv({ v: 1, active: 'b' });
    // Truncated mid-payload, as a flash cut short would leave it.
    const fh = await open(t.slots.slotFile('b'), 'r+');
    await fh.truncate(v2.bytes - 100);
    await fh.close();
    const booted = await bootBoard('b01', t.slots, t.info, t.deps());
    assert.is(booted.slot, 'a');
    assert.equal(await t.slots.readEnv(), { v: 1, active: 'a' });
    assert.ok(t.lines.some((l) => /slot b: size: truncated/.test(l)), t.lines.join('\n'));
    assert.ok(t.lines.some((l) => l.includes('falling back from slot b to slot a')));
  } finally {
    await t.removeDir();
  }
});

test('refuses: never flashed, wrong key, wrong board type, both slots bad; nothing unpacked from a refused image', async () => {
  const t = await setup();
  try {
    await rejects(() => bootBoard('b01', t.slots, t.info, t.deps()), /never flashed/);
    const v1 = await boardImage(t.dir, 'v1', 'export const v = 1;\n', { key: t.key });
    await t.slots.install('a', v1.file);
    await t.slots.writeEnv({ v: 1, active: 'a' });
    const stranger = generateKeys().publicKey;
    await rejects(() => bootBoard('b01', t.slots, t.info, t.deps([stranger])), /slot a: signature: signed by key [0-9a-f]{16}, which is not trusted/);
    await rejects(() => bootBoard('b01', t.slots, t.info, t.deps(undefined, 'beaglebone')), /slot a: board: the image is for board type "sim", this board is "beaglebone"/);
    await flipByte(t.slots.slotFile('a'), 3);
    await rejects(() => bootBoard('b01', t.slots, t.info, t.deps()), /slot a: header: not a deskbox image.*slot b: size: the slot is empty/);
    assert.not.ok(existsSync(join(t.dir, 'cache', v1.manifest.payload.sha256)), 'a refused image is never unpacked');
    assert.ok(t.lines.includes('no bootable slot; halted'));
    assert.not.ok(existsSync(t.info), 'no boot info for a board that did not boot');
  } finally {
    await t.removeDir();
  }
});

test('a trial slot that is never confirmed boots 3 times, then the board goes back to its active slot', async () => {
  const t = await setup();
  try {
    const v1 = await boardImage(t.dir, 'v1', 'export const v = 1;\n', { key: t.key });
    const v2 = await boardImage(t.dir, 'v2', 'export const v = 2;\n', { key: t.key });
    await t.slots.install('a', v1.file);
    await t.slots.install('b', v2.file);
    await t.slots.writeEnv({ v: 1, active: 'a', trial: { slot: 'b', tries: 0 } });
    const boots: string[] = [];
    for (let i = 0; i < 5; i++) boots.push((await bootBoard('b01', t.slots, t.info, t.deps())).slot);
    assert.equal(boots, ['b', 'b', 'b', 'a', 'a']);
    assert.equal(await t.slots.readEnv(), { v: 1, active: 'a' });
    assert.ok(t.lines.includes('slot b was not confirmed after 3 boots; back to slot a'), t.lines.join('\n'));
  } finally {
    await t.removeDir();
  }
});

test('a damaged payload on first boot is refused as the block it is, and nothing of it is kept', async () => {
  const t = await setup();
  try {
    const v1 = await boardImage(t.dir, 'v1', 'export const v = 1;\n'.repeat(20_000), { key: t.key });
    await t.slots.install('a', v1.file);
    await t.slots.writeEnv({ v: 1, active: 'a' });
    await flipByte(t.slots.slotFile('a'), v1.bytes - 200_000);
    await rejects(() => bootBoard('b01', t.slots, t.info, t.deps()), /slot a: blocks: block \d+ \(payload bytes/);
    assert.equal(existsSync(join(t.dir, 'cache')) ? (await readdir(join(t.dir, 'cache'))) : [], [], 'no unpacked agent, no temporary folder');
  } finally {
    await t.removeDir();
  }
});

test.run();
