/** The boot phases a board's init reports before its agent runs, on the board's clock (board/boot-timeline.ts). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bootTimeline } from '../../board/boot-timeline.ts';

const NOW = 1_800_000_000_000;

test('a simulated desk gives the power-on instant alone', () => {
  assert.equal(bootTimeline({ DESKBOX_POWER_ON_AT: String(NOW - 500) }, NOW, () => { throw new Error('no uptime on a desk'); }), { powerOnAt: NOW - 500, early: [] });
  assert.equal(bootTimeline({}, NOW, () => 0), { early: [] });
});

test('uptimes become instants: the kernel at uptime 0, then the init and the boot program', () => {
  const t = bootTimeline({ DESKBOX_BOOT_UPTIMES: 'kernel=0 init=8.80 boot-program=13.82' }, NOW, () => 20);
  assert.equal(t.early, [{ phase: 'kernel', at: NOW - 20_000 }, { phase: 'init', at: NOW - 11_200 }, { phase: 'boot-program', at: NOW - 6180 }]);
  assert.is(t.powerOnAt, undefined);
});

test('the desk\'s power-on moves onto the board\'s clock by the skew read with it', () => {
  // At uptime 10 the desk's clock read 700 ms ahead of the board's; it switched on 2.5 s before the kernel started.
  const boardAt10 = NOW - 10_000;
  const t = bootTimeline({ DESKBOX_BOOT_UPTIMES: 'kernel=0 init=8 boot-program=12', DESKBOX_HOST_CLOCK: `10 ${NOW - 20_000 - 2500 + 700} ${boardAt10 + 700}` }, NOW, () => 20);
  assert.is(t.powerOnAt, NOW - 20_000 - 2500);
  assert.ok(t.powerOnAt! < t.early[0]!.at, 'power-on before the kernel');
});

test('a boot program started again without a reset: its own start only, and no power-on', () => {
  assert.equal(bootTimeline({ DESKBOX_BOOT_UPTIMES: 'boot-program=90' }, NOW, () => 100), { early: [{ phase: 'boot-program', at: NOW - 10_000 }] });
});

test('a garbled reading from the power switch is ignored', () => {
  assert.is(bootTimeline({ DESKBOX_BOOT_UPTIMES: 'init=8', DESKBOX_HOST_CLOCK: '10 x' }, NOW, () => 20).powerOnAt, undefined);
});

test.run();
