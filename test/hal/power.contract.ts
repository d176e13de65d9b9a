/**
 * What every PowerSensor binding must do, run against each binding with a fixture that can set
 * the rail's value from outside, as the hardware (or the simulated desk) would.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PowerReading, PowerSensor } from '../../platform/hal/power.ts';
import { HalError } from '../../platform/hal/errors.ts';

export interface PowerFixture {
  sensor: PowerSensor;
  set(r: PowerReading): Promise<void>;
  cleanup(): Promise<void>;
}

// Values the kernel's integer units (µW, mV, mA) represent exactly.
const A: PowerReading = { watts: 1.234567, volts: 5.012, amps: 0.246 };
const B: PowerReading = { watts: 2.2, volts: 4.98, amps: 0.441 };

export function powerContract(name: string, make: () => Promise<PowerFixture>): void {
  const s = suite<{ fx?: PowerFixture }>(`power contract: ${name}`, {});
  s.before.each(async (ctx) => { ctx.fx = await make(); });
  s.after.each(async (ctx) => { await ctx.fx?.cleanup(); ctx.fx = undefined; });

  s('has a description', ({ fx }) => {
    assert.type(fx!.sensor.description, 'string');
    assert.ok(fx!.sensor.description.length > 0);
  });

  s('reads what the rail shows, in W, V and A', async ({ fx }) => {
    await fx!.set(A);
    near(await fx!.sensor.read(), A);
  });

  s('follows changes', async ({ fx }) => {
    await fx!.set(A);
    near(await fx!.sensor.read(), A);
    await fx!.set(B);
    near(await fx!.sensor.read(), B);
  });

  s('a reading is a snapshot the caller may keep or change', async ({ fx }) => {
    await fx!.set(A);
    const r = await fx!.sensor.read();
    r.watts = 99;
    near(await fx!.sensor.read(), A);
  });

  s('reads after close reject with a HalError; close is idempotent', async ({ fx }) => {
    await fx!.set(A);
    await fx!.sensor.close();
    await fx!.sensor.close();
    const err = await fx!.sensor.read().then(() => undefined, (e: unknown) => e);
    assert.instance(err, HalError);
    assert.is((err as HalError).device, 'power');
    assert.match((err as HalError).message, /closed/);
  });

  s.run();
}

function near(got: PowerReading, want: PowerReading): void {
  for (const k of ['watts', 'volts', 'amps'] as const) {
    assert.ok(Math.abs(got[k] - want[k]) < 1e-9, `${k}: got ${got[k]}, want ${want[k]}`);
  }
}
