/** The push feature: push.fetch and push.done (commands.ts), its peer server closed with the agent. */
import type { AgentContext, Feature } from '../ops/feature.ts';
import { createPushCommands } from './commands.ts';

export function pushFeature(ctx: AgentContext): Feature {
  const { logger } = ctx;
  const push = createPushCommands({ config: ctx.config.push, clock: ctx.clock, logger: logger.child('push') });
  return {
    handlers: push.handlers,
    async stop() {
      await push.close().catch((err: Error) => logger.error('stopping the push server failed', { error: err.message }));
    },
  };
}
