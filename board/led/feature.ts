/** The LED feature: a heartbeat blink while the agent runs, held on or off by the `led` op. */
import type { AgentContext, Feature } from '../ops/feature.ts';
import { createLed, type Led } from './led.ts';

export function ledFeature(ctx: AgentContext): Feature {
  let led: Led | undefined;
  return {
    handlers: {
      led: async ({ mode }) => {
        if (!led) throw new Error('hardware not ready');
        await led.setMode(mode);
        return { mode };
      },
    },
    async attach(hw) {
      led = createLed(hw.gpio);
      await led.setMode('heartbeat');
    },
    start() {
      ctx.scheduler.every('heartbeat', 1, () => led!.tick());
    },
    async stop() {
      await led?.setMode('off').catch(() => undefined);
    },
  };
}
