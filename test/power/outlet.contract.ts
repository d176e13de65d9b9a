/**
 * What every PowerOutlet must do, against a stand-in that speaks the device's real protocol and
 * records each switch it made. `knowsState: false` is for drivers that cannot ask (manual):
 * their state() must then say 'unknown', never guess.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PowerOutlet } from '../../host/power/outlet.ts';

export type Switched = 'on' | 'off';

export interface OutletFixture {
  /** Its spec's offMs is small, so a cycle is quick. */
  outlet: PowerOutlet;
  /** Every state the stand-in was switched to, in order. */
  switches(): Promise<Switched[]>;
  cleanup(): Promise<void>;
}

export function outletContract(name: string, make: () => Promise<OutletFixture>, opts: { knowsState: boolean }): void {
  const s = suite<{ fx?: OutletFixture }>(`power outlet contract: ${name}`, {});
  s.before.each(async (ctx) => { ctx.fx = await make(); });
  s.after.each(async (ctx) => { await ctx.fx?.cleanup(); ctx.fx = undefined; });

  const expectState = async (fx: OutletFixture, want: Switched) => {
    assert.is(await fx.outlet.state(), opts.knowsState ? want : 'unknown');
  };
  const last = async (fx: OutletFixture) => (await fx.switches()).at(-1);

  s('has a description naming it', ({ fx }) => {
    assert.ok(fx!.outlet.description.length > 0);
  });

  s('on, then state is on', async ({ fx }) => {
    await fx!.outlet.on();
    assert.is(await last(fx!), 'on');
    await expectState(fx!, 'on');
  });

  s('off, then state is off', async ({ fx }) => {
    await fx!.outlet.on();
    await fx!.outlet.off();
    assert.is(await last(fx!), 'off');
    await expectState(fx!, 'off');
  });

  s('cycle passes through off and ends on', async ({ fx }) => {
    await fx!.outlet.on();
    const before = (await fx!.switches()).length;
    await fx!.outlet.cycle();
    assert.equal((await fx!.switches()).slice(before), ['off', 'on']);
    await expectState(fx!, 'on');
  });

  s('on is idempotent', async ({ fx }) => {
    await fx!.outlet.on();
    await fx!.outlet.on();
    assert.is(await last(fx!), 'on');
    await expectState(fx!, 'on');
  });

  s('close is idempotent', async ({ fx }) => {
    await fx!.outlet.on();
    await fx!.outlet.close();
    await fx!.outlet.close();
  });

  s.run();
}
