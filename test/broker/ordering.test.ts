/**
 * The contract's ordering of status and telemetry messages (broker/contract/ordering.ts):
 * stamps, boots, ties, and the two escapes for clocks that misbehave.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLOCK_SKEW_MS, SAME_BOOT_MS, standing, statusMark, telemetryMark } from '../../broker/contract/ordering.ts';
import type { OnlineStatus, Status, Telemetry } from '../../broker/contract/payloads.ts';

const NOW = 1_800_000_000_000;
const BOOT = NOW - 3_600_000;
const sample = (at: number, seq: number, bootedAt = BOOT): Telemetry => ({
  v: 1, board: 'b01', at, seq, uptimeS: (at - bootedAt) / 1000, powerW: 1, volts: 5, amps: 0.2, energyJ: 1, cpu: 0, memBytes: 1, guests: { running: 0, failed: 0 },
});
const online = (uptimeS: number, phases = 4, bootedAt = BOOT): OnlineStatus => ({
  v: 1, state: 'online', board: 'b01', version: '1', bootedAt, uptimeS, keepaliveS: 10,
  phases: Array.from({ length: phases }, (_, i) => ({ phase: 'ready' as const, at: bootedAt + i })),
});
const mark = (t: Telemetry) => telemetryMark(t);

test('telemetry: a later stamp is newer, an earlier one older, an exact repeat the same', () => {
  assert.is(standing(mark(sample(NOW, 5)), mark(sample(NOW - 1000, 4)), NOW), 'newer');
  assert.is(standing(mark(sample(NOW - 1000, 4)), mark(sample(NOW, 5)), NOW), 'older');
  assert.is(standing(mark(sample(NOW, 5)), mark(sample(NOW, 5)), NOW), 'same');
  assert.is(standing(mark(sample(NOW, 6)), mark(sample(NOW, 5)), NOW), 'newer', 'seq breaks a tie');
  assert.is(standing(mark(sample(NOW, 5)), undefined, NOW), 'newer', 'anything beats nothing');
});

test('telemetry: an agent restarted in the same boot starts seq again and is still newer', () => {
  assert.is(standing(mark(sample(NOW, 0)), mark(sample(NOW - 2000, 900)), NOW), 'newer');
});

test('a later boot is newer even when the board\'s clock restarted behind', () => {
  const before = mark(sample(NOW - 1000, 50));
  // Rebooted 10 minutes after the old boot began, clock 20 minutes behind.
  const rebooted = BOOT + 600_000;
  assert.is(standing(mark(sample(rebooted + 5000, 0, rebooted)), before, NOW), 'newer');
  // A copy from an earlier boot stays old.
  assert.is(standing(mark(sample(BOOT - 1000, 9, BOOT - 60_000)), before, NOW), 'older');
  // Boots closer than SAME_BOOT_MS are one boot: uptimeS rounded by a publisher moves `at - uptimeS`.
  const rounded = { ...sample(NOW - 2000, 49), uptimeS: (NOW - 2000 - BOOT - SAME_BOOT_MS * 0.4) / 1000 };
  assert.is(standing(mark(rounded), before, NOW), 'older');
});

test('a held stamp far ahead of the reader\'s clock holds nothing back', () => {
  const future = mark(sample(NOW + CLOCK_SKEW_MS + 1, 3));
  assert.is(standing(mark(sample(NOW, 4)), future, NOW), 'newer');
  const nearFuture = mark(sample(NOW + CLOCK_SKEW_MS - 1, 3));
  assert.is(standing(mark(sample(NOW, 4)), nearFuture, NOW), 'older', 'within the skew the stamp counts');
});

test('status: stamped bootedAt + uptimeS, ties broken by boot phases; a last will has no mark', () => {
  const first = statusMark(online(10, 3), undefined)!;
  assert.equal(first, { stamp: BOOT + 10_000, boot: BOOT, tie: 3 });
  assert.is(standing(statusMark(online(10, 4), first)!, first, NOW), 'newer', 'ready in the same millisecond');
  assert.is(standing(statusMark(online(5), first)!, first, NOW), 'older');
  const will: Status = { v: 1, state: 'offline', board: 'b01', reason: 'lastwill' };
  assert.is(statusMark(will, first), undefined);
  const noAt: Status = { v: 1, state: 'offline', board: 'b01', reason: 'shutdown' };
  assert.is(statusMark(noAt, first), undefined);
});

test('status: a shutdown belongs to the boot before it, and a later boot comes after it', () => {
  const up = statusMark(online(100), undefined)!;
  const down = statusMark({ v: 1, state: 'offline', board: 'b01', reason: 'shutdown', at: BOOT + 200_000 }, up)!;
  assert.equal(down, { stamp: BOOT + 200_000, boot: BOOT, tie: 0 });
  assert.is(standing(down, up, NOW), 'newer');
  assert.is(standing(statusMark(online(150), down)!, down, NOW), 'older', 'a copy of the boot that shut down');
  const next = BOOT + 300_000;
  assert.is(standing(statusMark(online(1, 4, next), down)!, down, NOW), 'newer');
  // A shutdown stamped before the latest status began is an old copy.
  const early = statusMark({ v: 1, state: 'offline', board: 'b01', reason: 'shutdown', at: BOOT + 50_000 }, up)!;
  assert.is(standing(early, up, NOW), 'older');
});

test.run();
