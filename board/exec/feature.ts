/** The exec feature: the `exec` op (exec-command.ts); what still runs is killed when the agent stops. */
import type { AgentContext, Feature } from '../ops/feature.ts';
import { createExecCommand, type GuestShell } from './exec-command.ts';

export interface ExecDeps {
  /** The board's guests, for `guests: true`; absent on a board without guests. */
  shell?: () => Promise<GuestShell>;
}

export function execFeature(ctx: AgentContext, { shell }: ExecDeps): Feature {
  const { config } = ctx;
  const exec = createExecCommand({ desk: config.desk, board: config.board, logger: ctx.logger.child('exec'), ...(shell ? { guests: shell } : {}) });
  return {
    handlers: exec.handlers,
    stop: () => exec.close(),
  };
}
