/**
 * The simulated desk's power switches: each group of boards is one OS process running the
 * board bundle. Powering a group on spawns it; off stops it; a process that dies on its own
 * is restarted after a delay, as a real board's init would restart its agent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../board/runtime/log.ts';
import { AGENT_NODE_FLAGS } from '../../board/node-flags.ts';

export type PowerAction = 'on' | 'off' | 'cycle';

export interface BoardGroup {
  name: string;
  boards: string[];
  configFiles: string[];
}

export interface GroupState {
  name: string;
  boards: string[];
  power: 'on' | 'off';
  pid?: number;
  poweredOnAt?: number;
  restarts: number;
  lastExit?: string;
}

interface Running extends GroupState {
  group: BoardGroup;
  child?: ChildProcess;
  restartTimer?: NodeJS.Timeout;
}

export interface BoardProcessesOptions {
  agentBundle: string;
  logsDir: string;
  /** Seconds before a crashed agent is started again; 0 leaves it down. */
  restartDelayS: number;
  logger: Logger;
}

/** A board stops its guests before it exits: hundreds of them take a while. */
const STOP_GRACE_MS = 60_000;

export function createBoardProcesses(groups: BoardGroup[], opts: BoardProcessesOptions) {
  const states = new Map<string, Running>(groups.map((g) => [g.name, { group: g, name: g.name, boards: g.boards, power: 'off', restarts: 0 }]));
  const byBoard = new Map<string, Running>();
  for (const s of states.values()) for (const b of s.boards) byBoard.set(b, s);

  const launch = (s: Running) => {
    const log = openSync(join(opts.logsDir, `agent-${s.name}.log`), 'a');
    const args = [...AGENT_NODE_FLAGS, opts.agentBundle, ...s.group.configFiles.flatMap((f) => ['--config', f])];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, DESKBOX_POWER_ON_AT: String(s.poweredOnAt) },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    s.child = child;
    s.pid = child.pid;
    child.on('exit', (code, signal) => {
      s.child = undefined;
      s.pid = undefined;
      s.lastExit = signal ? `signal ${signal}` : `code ${code}`;
      if (s.power === 'off') return;
      opts.logger.warn('board process died', { group: s.name, exit: s.lastExit });
      if (opts.restartDelayS > 0) {
        s.restartTimer = setTimeout(() => {
          s.restartTimer = undefined;
          if (s.power === 'on' && !s.child) { s.restarts++; launch(s); }
        }, opts.restartDelayS * 1000);
      }
    });
  };

  const stopChild = (s: Running) => new Promise<void>((resolve) => {
    clearTimeout(s.restartTimer);
    s.restartTimer = undefined;
    const child = s.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => { clearTimeout(force); resolve(); });
    child.kill('SIGTERM');
  });

  const powerOn = (s: Running) => {
    if (s.power === 'on' && s.child) return;
    s.power = 'on';
    s.poweredOnAt = Date.now();
    launch(s);
  };

  const powerOff = async (s: Running) => {
    s.power = 'off';
    await stopChild(s);
  };

  const view = (s: Running): GroupState => ({
    name: s.name, boards: s.boards, power: s.power, pid: s.pid, poweredOnAt: s.poweredOnAt, restarts: s.restarts, lastExit: s.lastExit,
  });

  return {
    groups: () => [...states.values()].map(view),
    group: (board: string) => byBoard.get(board) && view(byBoard.get(board)!),
    powerOnAll: () => { for (const s of states.values()) powerOn(s); },
    async power(board: string, action: PowerAction): Promise<GroupState> {
      const s = byBoard.get(board);
      if (!s) throw new Error(`no board "${board}" on this desk`);
      if (action !== 'on') await powerOff(s);
      if (action !== 'off') powerOn(s);
      return view(s);
    },
    async stopAll() {
      await Promise.all([...states.values()].map(powerOff));
    },
  };
}

export type BoardProcesses = ReturnType<typeof createBoardProcesses>;

/** Splits boards into process groups of `perProcess`, named after their first and last board. */
export function groupBoards(boards: string[], perProcess: number, configFile: (b: string) => string): BoardGroup[] {
  const groups: BoardGroup[] = [];
  for (let i = 0; i < boards.length; i += perProcess) {
    const chunk = boards.slice(i, i + perProcess);
    const name = chunk.length === 1 ? chunk[0]! : `${chunk[0]}..${chunk[chunk.length - 1]}`;
    groups.push({ name, boards: chunk, configFiles: chunk.map(configFile) });
  }
  return groups;
}
