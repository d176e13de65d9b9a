/**
 * Each board's last known-good image (host/health/known-good.ts, known-good-watch.ts): kept
 * from the slot of a board that passes a check while healthy, one copy per image, remembered
 * across restarts, and what recovery flashes, with the desk's image as the fallback when the
 * board has none or its copy rotted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrivateKey } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBoardImage } from '../../images/build-board.ts';
import { generateKeys } from '../../images/format/keys.ts';
import { KnownGoodError, openKnownGood, worthRemembering, type KnownGoodImage } from '../../host/health/known-good.ts';
import { createKnownGoodWatch } from '../../host/health/known-good-watch.ts';
import type { HealthState } from '../../host/health/policy.ts';
import type { HealthReport } from '../../broker/contract/health.ts';
import type { Status } from '../../broker/contract/payloads.ts';
import { memoryLogger } from '../../platform/log.ts';
import { withTempDir } from '../support/temp-dir.ts';

/** Two signed board images, v1 (the desk's) and v2 (flashed later), in `dir`. */
async function images(dir: string): Promise<{ v1: KnownGoodImage; v2: KnownGoodImage }> {
  const key = generateKeys();
  const build = async (version: string): Promise<KnownGoodImage> => {
    const agent = join(dir, `agent-${version}.mjs`);
    await writeFile(agent, `console.log("agent ${version}")\n`);
    const img = await buildBoardImage({
      out: join(dir, `board-${version}.dbi`), agent, agentVersion: version, guests: [], type: 'sim', name: 'b', version, arch: 'x86_64',
      key: { id: key.publicKey.id, key: createPrivateKey(key.privatePem) },
    });
    return { sha256: img.manifest.payload.sha256, version, file: img.file };
  };
  return { v1: await build('1'), v2: await build('2') };
}

const recorded = (i: KnownGoodImage) => ({ sha256: i.sha256, version: i.version });

test('worthRemembering: a passing check while healthy, on an image not yet recorded', () => {
  const a = { sha256: 'a'.repeat(64), version: '1' }, b = { sha256: 'b'.repeat(64), version: '2' };
  assert.ok(worthRemembering({ reportOk: true, state: 'healthy', booted: b, recorded: a }));
  assert.ok(worthRemembering({ reportOk: true, state: 'healthy', booted: a }));
  assert.not.ok(worthRemembering({ reportOk: true, state: 'healthy', booted: a, recorded: a }), 'already recorded');
  assert.not.ok(worthRemembering({ reportOk: false, state: 'healthy', booted: b, recorded: a }), 'a failed check');
  for (const state of ['suspect', 'quarantined', 'recovering', 'retired'] as const) assert.not.ok(worthRemembering({ reportOk: true, state, booted: b, recorded: a }), state);
  assert.not.ok(worthRemembering({ reportOk: true, state: 'healthy', recorded: a }), 'not booted from a slot');
});

test('a board with nothing kept is reflashed with the desk\'s image; one it was healthy on is kept, once, and remembered', () => withTempDir('deskbox-known-good-', async (dir) => {
  const { v1, v2 } = await images(dir);
  const kept = join(dir, 'known-good');
  const store = await openKnownGood(kept, v1);
  assert.equal(await store.forBoard('b01'), v1);

  // Boards on a new image pass their checks at about the same time.
  await Promise.all(['b01', 'b02'].map((b) => store.remember(b, recorded(v2), v2.file)));
  const b01 = await store.forBoard('b01');
  assert.equal(b01, { ...recorded(v2), file: join(kept, `${v2.sha256}.dbi`) });
  assert.ok((await readFile(b01.file)).equals(await readFile(v2.file)), 'the kept copy is the image');
  assert.equal((await readdir(kept)).sort(), [`${v2.sha256}.dbi`, 'boards.json'], 'one copy for both boards, no leftovers');

  const reopened = await openKnownGood(kept, v1);
  assert.equal(reopened.recorded('b02'), recorded(v2));
  assert.equal(await reopened.forBoard('b02'), b01);
  assert.equal(await reopened.forBoard('b03'), v1);
}));

test('a source that is not the image the board booted is refused, and the record stays', () => withTempDir('deskbox-known-good-', async (dir) => {
  const { v1, v2 } = await images(dir);
  const store = await openKnownGood(join(dir, 'known-good'), v1);
  const err = await store.remember('b01', recorded(v2), v1.file).then(() => undefined, (e: Error) => e);
  assert.instance(err, KnownGoodError, String(err));
  assert.match(String(err?.message), `known-good image of b01 from ${v1.file}: holds ${v1.sha256.slice(0, 12)}, the board booted ${v2.sha256.slice(0, 12)}`);
  assert.is(store.recorded('b01'), undefined);
  assert.equal(await readdir(join(dir, 'known-good')), [], 'no copy, no temporary file');
}));

test('a kept copy that rotted is not flashed: the desk\'s image is, and why is said', () => withTempDir('deskbox-known-good-', async (dir) => {
  const { v1, v2 } = await images(dir);
  const store = await openKnownGood(join(dir, 'known-good'), v1);
  await store.remember('b01', recorded(v2), v2.file);
  const copy = (await store.forBoard('b01')).file;
  const bytes = await readFile(copy);
  bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 0xff, bytes.length >> 1);
  await writeFile(copy, bytes);
  const chosen = await store.forBoard('b01');
  assert.equal({ ...chosen, fallbackBecause: undefined }, { ...v1, fallbackBecause: undefined });
  assert.match(chosen.fallbackBecause ?? '', /^the kept copy of 2 \(.*\) does not verify$/);
}));

test('the watch keeps the image a healthy board booted when it passes a check, from that board\'s slot', () => withTempDir('deskbox-known-good-', async (dir) => {
  const { v1, v2 } = await images(dir);
  const store = await openKnownGood(join(dir, 'known-good'), v1);
  const states = new Map<string, HealthState>([['b02', 'suspect']]);
  const sources: string[] = [];
  const watch = createKnownGoodWatch({
    store, logger: memoryLogger(),
    stateOf: (b) => states.get(b) ?? 'healthy',
    sourceOf: (b, slot) => { sources.push(`${b}:${slot}`); return v2.file; },
  });
  const online = (board: string): Status => ({ v: 1, board, state: 'online', bootedAt: 1, phases: [], image: { slot: 'b', name: 'b', version: '2', sha256: v2.sha256 } } as unknown as Status);
  const report = (board: string, ok: boolean): HealthReport => ({ v: 1, board, at: 2, trigger: 'schedule', ok, checks: [] });

  await watch.report(report('b01', true));
  assert.is(store.recorded('b01'), undefined, 'no status yet: which image is unknown');
  for (const b of ['b01', 'b02', 'b03']) watch.status(online(b));
  await watch.report(report('b01', true));
  await watch.report(report('b02', true));
  await watch.report(report('b03', false));
  assert.equal(store.recorded('b01'), recorded(v2));
  assert.is(store.recorded('b02'), undefined, 'suspect');
  assert.is(store.recorded('b03'), undefined, 'its check failed');
  await watch.report(report('b01', true));
  assert.equal(sources, ['b01:b'], 'copied once, from the slot it booted');
}));

test.run();
