/**
 * The status LED with a manual clock: identify blinks fast for the time asked, then puts back
 * the mode it found (heartbeat, on or off); a new mode ends a blink; a second identify extends it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLed, IDENTIFY_TOGGLE_MS } from '../../board/led/led.ts';
import { manualClock } from '../../platform/clock.ts';
import type { GpioBinding, Level } from '../../platform/hal/gpio.ts';

/** A GPIO whose `led` line records every level written to it. */
function recordingGpio() {
  const writes: Level[] = [];
  const gpio: GpioBinding = {
    description: 'recording',
    async open(name) {
      return { name, read: async () => writes.at(-1) ?? 0, write: async (v) => { writes.push(v); }, close: async () => undefined };
    },
  };
  return { gpio, writes };
}

const settle = () => new Promise((r) => setImmediate(r));

async function run(clock: ReturnType<typeof manualClock>, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += IDENTIFY_TOGGLE_MS) {
    clock.advance(IDENTIFY_TOGGLE_MS);
    await settle();
  }
}

for (const mode of ['on', 'off', 'heartbeat'] as const) {
  test(`identify blinks for the seconds asked, then the LED is back in ${mode}`, async () => {
    const clock = manualClock();
    const { gpio, writes } = recordingGpio();
    const errors: Error[] = [];
    const led = createLed(gpio, clock, (e) => errors.push(e));
    await led.setMode(mode);
    const before = writes.length;
    assert.is(await led.identify(2), mode, 'it says what it goes back to');
    await run(clock, 2000);
    const blink = writes.slice(before);
    // Two seconds at one toggle per IDENTIFY_TOGGLE_MS, each toggle the other level.
    assert.ok(blink.length >= 2000 / IDENTIFY_TOGGLE_MS, `${blink.length} toggles`);
    assert.ok(blink.slice(0, -1).every((v, i) => i === 0 || v !== blink[i - 1]), 'each toggle changes the level');
    const afterBlink = writes.length;
    if (mode !== 'heartbeat') {
      assert.is(writes.at(-1), mode === 'on' ? 1 : 0, 'restored');
      await run(clock, 1000);
      await led.tick();
      assert.is(writes.length, afterBlink, 'steady again: nothing more written');
    } else {
      await led.tick();
      await led.tick();
      assert.is(writes.length, afterBlink + 2, 'the heartbeat goes on');
    }
    assert.equal(errors, []);
  });
}

test('a new mode ends the blink at once; a second identify extends it; the heartbeat waits meanwhile', async () => {
  const clock = manualClock();
  const { gpio, writes } = recordingGpio();
  const led = createLed(gpio, clock, (e) => { throw e; });
  await led.setMode('heartbeat');
  await led.identify(1);
  await run(clock, 600);
  const n = writes.length;
  await led.tick();
  assert.is(writes.length, n, 'no heartbeat toggle during identify');
  assert.is(await led.identify(1), 'heartbeat');
  await run(clock, 900);
  assert.ok(writes.length > n + 4, 'still blinking past the first second');
  await led.setMode('on');
  const held = writes.length;
  assert.is(writes.at(-1), 1);
  await run(clock, 2000);
  assert.is(writes.length, held, 'no blink after the new mode');
  await led.identify(1);
  led.cancel();
  const cancelled = writes.length;
  await run(clock, 1000);
  assert.is(writes.length, cancelled, 'cancel stops the timers');
});

test.run();
