/**
 * The board's self-checks: the runner's bounds (a throw or a hang is a failed check, with why),
 * the board-wide checks on this machine, and the feature: a report on demand and on its cron
 * schedule (driven by a manual clock), retained on the board's health topic.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrivateKey } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slotCheck } from '../../board/flash/slot-check.ts';
import { imagesCheck } from '../../board/health/images-check.ts';
import { consoleCheck } from '../../board/health/console-check.ts';
import { simSerialBinding } from '../../board/hal/serial/sim.ts';
import { mkdir } from 'node:fs/promises';
import { generateKeys } from '../../images/format/keys.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { withTempDir } from '../support/temp-dir.ts';
import { waitFor } from '../support/wait.ts';
import type { BoardConfig } from '../../board/config/board-config.ts';
import { clockCheck, memoryCheck, runChecks, storageCheck } from '../../board/health/checks.ts';
import type { HealthCheck } from '../../board/ops/health-check.ts';
import { CLOCK_FLOOR, healthFeature, procMeminfo } from '../../board/health/feature.ts';
import type { AgentContext } from '../../board/ops/feature.ts';
import { createScheduler } from '../../board/runtime/scheduler.ts';
import { spreadOffsetMs } from '../../board/runtime/spread.ts';
import type { HealthReport } from '../../broker/contract/health.ts';
import { decode, encode } from '../../broker/contract/messages.ts';
import { manualClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';

const MIB = 1024 * 1024;

test('the runner: each check timed and bounded; a throw or a hang fails that check alone', async () => {
  const clock = manualClock();
  const checks: HealthCheck[] = [
    { name: 'slot', run: () => ({ ok: true, detail: 'slot a verifies' }) },
    { name: 'images', run: () => { throw new Error('ref busybox: blob missing'); } },
    { name: 'guest-launch', run: () => new Promise(() => undefined) },
  ];
  const done = runChecks(checks, clock, 5000);
  await new Promise((r) => setImmediate(r));
  clock.advance(5000);
  const results = await done;
  assert.equal(results.map((r) => [r.name, r.ok, r.detail]), [
    ['slot', true, 'slot a verifies'], ['images', false, 'ref busybox: blob missing'], ['guest-launch', false, 'no answer within 5 s'],
  ]);
  assert.is(results[2]!.ms, 5000);
});

test('memory, storage and clock, on this machine and against their thresholds', async () => {
  const mem = await procMeminfo();
  assert.ok(mem.free > 0 && mem.free <= mem.total);
  assert.is((await memoryCheck(async () => ({ free: 20 * MIB, total: 512 * MIB }), 32).run()).ok, false);
  assert.equal(await memoryCheck(async () => ({ free: 400 * MIB, total: 512 * MIB }), 32).run(), { ok: true, detail: '400 MiB free of 512 MiB (at least 32 MiB wanted)' });
  assert.is((await storageCheck(tmpdir(), 0).run()).ok, true);
  assert.is((await storageCheck(tmpdir(), Number.MAX_SAFE_INTEGER / MIB).run()).ok, false);
  const [missing] = await runChecks([storageCheck('/nonexistent-deskbox', 0)], manualClock());
  assert.match(missing!.detail, /ENOENT/, 'a folder that is not there fails the check with why');
  assert.is((await clockCheck(manualClock(Date.UTC(1970, 0, 1)), CLOCK_FLOOR).run()).ok, false, 'a board booted in 1970');
  assert.is((await clockCheck(manualClock(Date.UTC(2026, 11, 2)), CLOCK_FLOOR).run()).ok, true);
});

test('the feature: a report on demand and every scheduled minute at the board\'s offset, retained, valid on the wire', async () => {
  const clock = manualClock(Date.UTC(2026, 11, 2, 10, 0, 30));
  const logger = memoryLogger('board:b01');
  const published: { channel: string; value: unknown; retain?: boolean }[] = [];
  const config = { v: 1, desk: 'd1', board: 'b01', health: { schedule: '* * * * *', minFreeMemMiB: 0, minFreeStorageMiB: 0, storageDir: tmpdir() } } as unknown as BoardConfig;
  const ctx = {
    config, clock, logger, scheduler: createScheduler({ clock, logger, timezone: 'UTC' }),
    publish: (channel: string, value: unknown, retain?: boolean) => published.push({ channel, value, retain }),
  } as unknown as AgentContext;
  let slotOk = true;
  const slotRunsAt: number[] = [];
  const feature = healthFeature(ctx, {
    featureChecks: () => [{ name: 'slot', run: () => { slotRunsAt.push(clock.now()); return { ok: slotOk, detail: slotOk ? 'slot a verifies' : 'slot a: sha256 mismatch' }; } }],
    memory: async () => ({ free: 100 * MIB, total: 512 * MIB }),
  });
  await feature.start!();
  try {
    const check = feature.handlers!['health.check'] as () => Promise<HealthReport>;
    const report = await check();
    assert.is(report.trigger, 'command');
    assert.equal(report.checks.map((c) => c.name), ['slot', 'memory', 'storage', 'clock'], 'in the catalogue\'s order');
    assert.ok(report.ok);
    assert.equal(decode('health', encode('health', report)), { ok: true, value: report });
    assert.equal(published.map((p) => [p.channel, p.retain]), [['health', true]]);

    slotOk = false;
    // 10:01:00 is the schedule's next minute; b01 runs its checks its own offset into it.
    const due = Date.UTC(2026, 11, 2, 10, 1, 0) + spreadOffsetMs('b01', 60_000);
    clock.advance(due - clock.now() - 1);
    assert.is(slotRunsAt.length, 1, 'not before its offset');
    clock.advance(1);
    await waitFor(() => published.length >= 2, { timeoutMs: 10_000, what: 'the scheduled report' });
    assert.equal(slotRunsAt.slice(1), [due]);
    const scheduled = published[1]!.value as HealthReport;
    assert.is(scheduled.trigger, 'schedule');
    assert.is(scheduled.ok, false);
    assert.equal(scheduled.checks[0], { name: 'slot', ok: false, detail: 'slot a: sha256 mismatch', ms: 0 });
    assert.ok(logger.records.some((r) => r.msg === 'self-check failed'), 'the board logs a failed check');
  } finally {
    await feature.stop!();
  }
});

test('slot: the booted image verifies; a flipped byte in the slot, or another image there, fails with why', () => withTempDir('deskbox-slotcheck-', async (dir) => {
  const key = generateKeys();
  await writeFile(join(dir, 'agent.mjs'), `console.log(${JSON.stringify('x'.repeat(300_000))})\n`);
  const build = (version: string) => buildBoardImage({
    out: join(dir, `${version}.dbi`), agent: join(dir, 'agent.mjs'), agentVersion: version, guests: [], type: 'sim', name: 'b', version, arch: 'x86_64',
    key: { id: key.publicKey.id, key: createPrivateKey(key.privatePem) },
  });
  const img = await build('1');
  const boot = { v: 1 as const, slot: 'a' as const, slotFile: img.file, image: { name: 'b', version: '1', sha256: img.manifest.payload.sha256 }, defaults: null };
  const check = slotCheck(boot, [key.publicKey]);
  assert.match((await check.run()).detail, /^slot a: b 1 verifies \(/);

  await writeFile(join(dir, 'agent.mjs'), 'console.log(2)\n');
  const other = await build('2');
  assert.equal(await slotCheck({ ...boot, slotFile: other.file }, [key.publicKey]).run(), { ok: false, detail: 'slot a now holds b 2, not the image the board booted (b 1)' });

  const f = await open(img.file, 'r+');
  const at = (await f.stat()).size - 1000;
  const byte = Buffer.alloc(1);
  await f.read(byte, 0, 1, at);
  await f.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, at);
  await f.close();
  const [rotten] = await runChecks([check], manualClock());
  assert.is(rotten!.ok, false);
  assert.match(rotten!.detail, /slot a/, `names the slot: ${rotten!.detail}`);
}));

test('images: every installed image\'s guest root there and not empty; a store that did not open fails', () => withTempDir('deskbox-imgcheck-', async (dir) => {
  await mkdir(join(dir, 'busybox', 'rootfs', 'bin'), { recursive: true });
  await mkdir(join(dir, 'alpine', 'rootfs'), { recursive: true });
  const store = (names: string[]) => async () => ({ list: () => names.map((name) => ({ name })), resolve: (name: string) => join(dir, name, 'rootfs') });
  assert.equal(await imagesCheck(store(['busybox'])).run(), { ok: true, detail: '1 image intact' });
  assert.equal(await imagesCheck(store(['alpine', 'busybox', 'gone'])).run(), { ok: false, detail: '2 of 3 images have no guest root: alpine, gone' });
  assert.equal(await imagesCheck(async () => undefined).run(), { ok: false, detail: 'the image store did not open (see the board\'s log)' });
}));

test('console: the line takes a self-check line a person at the far end sees; a gone device fails; a flash keeps it quiet', async () => {
  const serial = simSerialBinding();
  serial.createPair('board', 'desk');
  const [board, desk] = [await serial.open('board', { baudRate: 115200 }), await serial.open('desk', { baudRate: 115200 })];
  try {
    let seen = '';
    desk.onData((d) => (seen += d.toString()));
    const clock = manualClock(Date.UTC(2026, 11, 2, 10, 0, 0));
    assert.equal(await consoleCheck(() => ({ link: board, gone: undefined, busy: false }), clock).run(), { ok: true, detail: 'board takes lines' });
    for (let i = 0; i < 20 && !seen.includes('\n'); i++) await new Promise((r) => setImmediate(r));
    assert.is(seen, 'deskbox: self-check at 2026-12-02T10:00:00.000Z\r\n');
    assert.equal(await consoleCheck(() => ({ link: board, gone: 'EIO: the device hung up', busy: false }), clock).run(), { ok: false, detail: 'board went away: EIO: the device hung up' });
    seen = '';
    assert.is((await consoleCheck(() => ({ link: board, gone: undefined, busy: true }), clock).run()).detail, 'board is busy with a flash');
    assert.is(seen, '', 'nothing written into a flash');
  } finally {
    await Promise.all([board.close(), desk.close()]);
  }
});

test.run();
