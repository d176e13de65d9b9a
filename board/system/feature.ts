/** The ops about and for the agent itself: ping, info, reboot. */
import { unavailable, type AgentContext, type Feature } from '../ops/feature.ts';

/** A `reboot` command's reset waits this long after its reply. */
const REBOOT_AFTER_MS = 200;

export interface SystemDeps {
  /** Resets the board; absent where nothing can. */
  reboot?(): void;
}

export function systemFeature(ctx: AgentContext, { reboot }: SystemDeps): Feature {
  const { clock, config } = ctx;
  return {
    handlers: {
      ping: () => ({ pong: true, at: clock.now() }),
      info: () => ({ ...ctx.status(), telemetryPeriodS: config.telemetryPeriodS, pid: process.pid }),
      reboot: reboot
        // The delay lets this command's reply leave before the agent stops.
        ? () => { clock.setTimeout(() => reboot(), REBOOT_AFTER_MS); return { rebooting: true }; }
        : unavailable('this agent was started without a way to reset its board'),
    },
  };
}
