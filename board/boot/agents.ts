/**
 * The boot program's last step: run the booted agents (one process per distinct agent file;
 * normally one for all the boards this program booted) and stay their parent. Signals are
 * passed on; when one agent ends, the others are stopped and the boot program ends with that
 * agent's exit code, so its init sees what the agent asked for (a reboot, a crash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../platform/log.ts';

export interface AgentLaunch {
  /** The Node to run it with (the image's own, or the one running this program), after the board's launcher if it has one. */
  command: string[];
  agentFile: string;
  configs: string[];
}

/** How long agents get to stop their guests before they are killed. */
const STOP_GRACE_MS = 60_000;

export function runAgents(launches: AgentLaunch[], opts: { nodeFlags: readonly string[]; env: NodeJS.ProcessEnv; logger: Logger }): { exited: Promise<number>; stop(signal: NodeJS.Signals): void; pids(): number[] } {
  const children: ChildProcess[] = [];
  let first: number | undefined;
  let settle!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (settle = resolve));
  const ended = new Set<ChildProcess>();
  const alive = () => children.filter((c) => !ended.has(c));
  const stop = (signal: NodeJS.Signals) => {
    for (const c of alive()) c.kill(signal);
    const force = setTimeout(() => { for (const c of alive()) c.kill('SIGKILL'); }, STOP_GRACE_MS);
    force.unref();
  };
  for (const l of launches) {
    const [program, ...args] = l.command;
    const child = spawn(program!, [...args, ...opts.nodeFlags, l.agentFile, ...l.configs.flatMap((f) => ['--config', f])], { env: opts.env, stdio: 'inherit' });
    children.push(child);
    const onEnd = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended.has(child)) return;
      ended.add(child);
      const status = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
      if (first === undefined) {
        first = status;
        opts.logger.info('agent ended', { agent: l.agentFile, status });
        stop('SIGTERM');
      }
      if (alive().length === 0) settle(first);
    };
    child.on('exit', onEnd);
    child.on('error', (e) => {
      opts.logger.error('agent could not start', { command: l.command.join(' '), error: e.message });
      onEnd(1, null);
    });
  }
  return { exited, stop, pids: () => children.flatMap((c) => (c.pid === undefined ? [] : [c.pid])) };
}
