/**
 * The console feature: the board's serial console once the agent runs. It greets, tells the
 * boot phases as they come (those before it opened too) and answers a person's few commands;
 * it keeps quiet while another protocol owns the line (a flash).
 */
import type { BootPhase } from '../../broker/contract/payloads.ts';
import type { AgentContext, Feature } from '../ops/feature.ts';
import { attachConsole, type BoardConsole } from './console.ts';
import type { SerialLink } from '../../platform/hal/serial.ts';
import { consoleCheck } from '../health/console-check.ts';

export interface ConsoleDeps {
  version: string;
  /** Another protocol owns the line now. */
  busy(): boolean;
}

export const phaseLine = (p: BootPhase) => `deskbox: ${p.phase} at ${new Date(p.at).toISOString()}`;

export interface ConsoleFeature extends Feature {
  /** A line on the console; nothing before it opened or where the board has none. */
  say(text: string): void;
}

export function consoleFeature(ctx: AgentContext, deps: ConsoleDeps): ConsoleFeature {
  const { config, logger } = ctx;
  let line: BoardConsole | undefined;
  let link: SerialLink | undefined;
  let gone: string | undefined;
  return {
    say: (text) => line?.say(text),
    attach(hw) {
      if (!hw.console) return;
      link = hw.console;
      hw.console.onGone?.((e) => (gone = e.message));
      line = attachConsole(hw.console, {
        help: () => 'commands: status, version, help',
        version: () => deps.version,
        status: () => JSON.stringify(ctx.status()),
      }, (err) => logger.warn('console write failed', { error: err.message }), deps.busy);
      line.say(`deskbox agent ${deps.version} on ${config.board} (desk ${config.desk})`);
      for (const p of ctx.status().phases) line.say(phaseLine(p));
    },
    stop() {
      line?.close();
    },
    // A board without a console (a simulated one started bare) has nothing to check.
    healthChecks: () => (link ? [consoleCheck(() => ({ link: link!, gone, busy: deps.busy() }), ctx.clock)] : []),
  };
}
