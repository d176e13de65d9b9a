/**
 * End to end, as a user would: a simulated desk boots the board image the desk built; a new
 * board image (another agent build) programmed with `desk up --board-image` is what the
 * boards run next; an image signed by a stranger's key is refused before any board is
 * touched; a board whose active slot is damaged falls back to the other slot.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, copyFile, readFile, rename, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { allBoardsFilter } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { OnlineStatus } from '../../broker/contract/payloads.ts';
import { waitFor } from '../support/wait.ts';
import { deskbox, processesMentioning } from '../support/deskbox.ts';
import { Desk } from '../support/desk.ts';
import { tempDir, type TempDir } from '../support/temp-dir.ts';

let desk: Desk;
let workDir: TempDir;
let state = '';
let work = '';

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-images-');
  workDir = await tempDir('deskbox-e2e-images-work-');
  [state, work] = [desk.state, workDir.path];
});

test.after(async () => {
  await desk.close();
  await workDir.remove();
});

/** Each board's retained online status once it reports `want`, read as an outside client would. */
async function statuses(boards: string[], want: (s: OnlineStatus) => boolean): Promise<Map<string, OnlineStatus>> {
  const run = JSON.parse(await readFile(join(state, 'run.json'), 'utf8'));
  const password = (await readFile(join(state, 'credentials', 'monitor.password'), 'utf8')).trim();
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${run.tcpPort}`, { username: 'monitor', password, protocolVersion: 4, reconnectPeriod: 0 });
  const seen = new Map<string, OnlineStatus>();
  client.on('message', (topic, payload) => {
    const d = decode('status', payload);
    if (d.ok && d.value.state === 'online' && want(d.value)) seen.set(topic.split('/')[3]!, d.value);
  });
  try {
    await client.subscribeAsync(allBoardsFilter('desk1', 'status'), { qos: 1 });
    await waitFor(async () => boards.every((b) => seen.has(b)), { timeoutMs: 30_000, what: `statuses of ${boards.join(', ')}` });
    return seen;
  } finally {
    await client.endAsync();
  }
}

const up = (boardImage?: string) => desk.up({ boards: 2, boardImage });
const down = () => desk.down();

test('boards run the agent of their active slot; a re-flash changes it; bad images never reach a board', () => desk.withLogs(async () => {
  const first = await up();
  assert.is(first.image.programmed, 2);
  const v1 = await statuses(['b01', 'b02'], (s) => s.image?.slot === 'a');
  assert.is(v1.get('b01')!.image!.sha256, first.image.sha256);
  assert.match(await readFile(join(state, 'boards', 'b01', 'console.log'), 'utf8'), /slot a: deskbox-sim .* verified, signed by [0-9a-f]{16}/);

  // Another agent build: the same bundle plus one line, so a different file the boards must run.
  const agent = join(work, 'board.mjs');
  await copyFile('dist/board.mjs', agent);
  await appendFile(agent, '\n// a second build, for the e2e test\n');
  const v2file = join(work, 'v2.dbi');
  const built = JSON.parse((await deskbox(['image', 'build', 'board', '--state', state, '--agent', agent, '--agent-version', '9.9.9-e2e',
    '--guest', join(state, 'images', 'busybox.dbi'), '--name', 'deskbox-sim', '-o', v2file, '--json'])).stdout);
  await down();
  const second = await up(v2file);
  assert.is(second.image.programmed, 2);
  assert.is(second.image.sha256, built.manifest.payload.sha256);
  const v2 = await statuses(['b01', 'b02'], (s) => s.image?.slot === 'b');
  assert.is(v2.get('b02')!.image!.version, '9.9.9-e2e');
  assert.ok((await processesMentioning(built.manifest.payload.sha256)).length > 0, 'the agent processes run the file unpacked from the new image');

  // b01's active slot gets damaged while it runs (replaced whole: the slots are shared links);
  // at its next power-on the boot ROM refuses it and falls back to the other slot.
  const slotB = join(state, 'boards', 'b01', 'hw', 'flash', 'slot-b.dbi');
  await copyFile(slotB, `${slotB}.cut`);
  await truncate(`${slotB}.cut`, 100_000);
  await rename(`${slotB}.cut`, slotB);
  await deskbox(['desk', 'power', 'b01', 'cycle', '--state', state]);
  const fell = await statuses(['b01'], (s) => s.image?.slot === 'a');
  assert.is(fell.get('b01')!.image!.sha256, first.image.sha256);
  const console01 = await readFile(join(state, 'boards', 'b01', 'console.log'), 'utf8');
  assert.match(console01, /slot b: size: truncated/);
  assert.match(console01, /falling back from slot b to slot a/);
  assert.equal(JSON.parse(await readFile(join(state, 'boards', 'b01', 'hw', 'flash', 'bootenv.json'), 'utf8')), { v: 1, active: 'a' });

  // Signed by a key the boards do not trust: refused before anything is programmed.
  await down();
  await deskbox(['keys', 'init', '--dir', join(work, 'stranger')]);
  const strange = join(work, 'stranger.dbi');
  await deskbox(['image', 'build', 'board', '--key', join(work, 'stranger', 'desk.key'), '--guest', join(state, 'images', 'busybox.dbi'), '-o', strange]);
  const envBefore = await readFile(join(state, 'boards', 'b02', 'hw', 'flash', 'bootenv.json'), 'utf8');
  try {
    await up(strange);
    assert.unreachable('a stranger\'s image was accepted');
  } catch (e) {
    assert.match((e as Error).message, /signature: signed by key [0-9a-f]{16}, which is not trusted here/);
  }
  assert.is(await readFile(join(state, 'boards', 'b02', 'hw', 'flash', 'bootenv.json'), 'utf8'), envBefore, 'no board touched');
  assert.equal(await processesMentioning(state), [], 'nothing left running');
}));


test('image install/ls/rm/gc on a desk: shared content stored once, guests run from the store', () => desk.withLogs(async () => {
  const running = await up();
  assert.is(running.online, 2);
  // The same busybox under another name: a second ref to the blob the board image carried.
  const tools = join(work, 'tools.dbi');
  await deskbox(['image', 'build', 'guest', '--state', state, '--busybox', '/bin/busybox', '--name', 'tools', '--version', '2', '-o', tools]);
  const json = async (...args: string[]) => JSON.parse((await deskbox([...args, '--state', state, '--json'])).stdout);
  const installed = await json('image', 'install', tools, '--boards', 'all');
  assert.equal(installed.map((o: { ok: boolean; result: { deduped: boolean } }) => [o.ok, o.result.deduped]), [[true, true], [true, true]]);
  const ls = await json('image', 'ls', '--boards', 'b01');
  const rows = ls[0].result.images.map((i: { name: string; origin: string; sharedBy: number }) => `${i.name}:${i.origin}:${i.sharedBy}`);
  assert.equal(rows, ['busybox:board-image:2', 'tools:install:2']);
  const started = await json('guests', 'start', '--boards', 'b01', '--count', '2', '--image', 'tools');
  assert.is(started[0].result.ready, 2);
  assert.is((await json('image', 'rm', 'busybox', '--boards', 'b01'))[0].result.blobRemoved, false, 'tools still names the blob');
  const refused = await deskbox(['image', 'rm', 'tools', '--boards', 'b01', '--state', state, '--json']).then(() => undefined, (e: Error) => e);
  assert.match(String(refused?.message), /in-use/);
  await json('guests', 'stop', '--boards', 'b01');
  const removed = await json('image', 'rm', 'tools', '--boards', 'b01');
  // That blob was the desk's one unpacked copy of the carried busybox, linked (images.sharedBlobsDir):
  // dropping the link frees nothing on the board, and leaves the copy to the other boards.
  assert.equal([removed[0].result.blobRemoved, removed[0].result.freedBytes], [true, 0]);
  assert.ok((await json('image', 'ls', '--boards', 'b02'))[0].result.images.length === 2, 'b02 still has both');
  assert.equal((await json('image', 'gc', '--boards', 'all')).map((o: { result: { removed: string[] } }) => o.result.removed.length), [0, 0]);
  const bad = join(work, 'bad.dbi');
  await copyFile(tools, bad);
  await truncate(bad, 1_000_000);
  const refusedBad = await deskbox(['image', 'install', bad, '--boards', 'b02', '--state', state]).then(() => undefined, (e: Error) => e);
  assert.match(String(refusedBad?.message), /bad-image|truncated/);
  await down();
  assert.equal(await processesMentioning(state), [], 'nothing left running');
}));

test.run();
