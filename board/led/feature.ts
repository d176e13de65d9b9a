/**
 * The LED feature: a heartbeat blink while the agent runs, held on or off by the `led` op, a
 * fast blink for a while by `identify` (Home Assistant's identify button sends it).
 */
import type { AgentContext, Feature } from '../ops/feature.ts';
import { createLed, type Led } from './led.ts';

export function ledFeature(ctx: AgentContext): Feature {
  let led: Led | undefined;
  const ready = () => {
    if (!led) throw new Error('hardware not ready');
    return led;
  };
  return {
    handlers: {
      led: async ({ mode }) => {
        await ready().setMode(mode);
        return { mode };
      },
      identify: async ({ seconds }) => ({ seconds, restores: await ready().identify(seconds) }),
    },
    async attach(hw) {
      led = createLed(hw.gpio, ctx.clock, (err) => ctx.logger.warn('led not set', { error: err.message }));
      await led.setMode('heartbeat');
    },
    start() {
      ctx.scheduler.every('heartbeat', 1, () => led!.tick());
    },
    async stop() {
      led?.cancel();
      await led?.setMode('off').catch(() => undefined);
    },
  };
}
