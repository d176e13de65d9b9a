/**
 * The simulated desk's power switches: each group of boards is powered together. Powering a
 * group on runs each board's U-Boot and then, for the boards that got past it, the board-side
 * boot program (dist/board-boot.mjs, the same program a real board's systemd runs): it picks
 * and checks each board's slot and runs the agents it booted. One boot program per group
 * (two while a group is half-way through a power change); off stops it and its agents. A boot
 * program that ends on its own is started again through U-Boot, as a watchdog reset would
 * (its guests keep running meanwhile and are adopted): at once when an agent asked for a
 * reboot (a flash was committed), after a delay when it died, never when it halted with
 * nothing to boot. Going through the boot program is what counts the boots of a trial slot,
 * so an image whose agent keeps crashing is given up for the previous one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, fchmodSync } from 'node:fs';
import { join } from 'node:path';
import { setMaxListeners } from 'node:events';
import { setPriority } from 'node:os';
import type { Logger } from '../../platform/log.ts';
import { PRIVATE_FILE_MODE } from '../../platform/private-files.ts';
import { AGENT_NODE_FLAGS } from '../../board/launch/node-flags.ts';
import { HALT_EXIT_CODE, REBOOT_EXIT_CODE } from '../../board/launch/exit-codes.ts';
import type { BootReport } from '../../board/boot/main.ts';

export type PowerAction = 'on' | 'off' | 'cycle';

export interface BoardGroup {
  name: string;
  boards: string[];
  configFiles: string[];
}

export interface GroupState {
  name: string;
  /** A QEMU board (host/desk/qemu-desk-board.ts) rather than simulated boards' processes. */
  machine?: 'qemu';
  boards: string[];
  power: 'on' | 'off';
  /** The boot program processes (each the parent of its agents) and the boards each hosts. */
  processes: { pid: number; boards: string[] }[];
  /** Boards that did not boot, with U-Boot's or the boot program's reason. */
  dark: Record<string, string>;
  poweredOnAt?: number;
  restarts: number;
  lastExit?: string;
}

/** A boot program, the boards it boots and the agents it started (it says which over IPC). */
interface Child { child: ChildProcess; boards: string[]; agents: number[] }

interface Running extends Omit<GroupState, 'processes'> {
  group: BoardGroup;
  children: Child[];
  /** Bumped by every power change, so a boot or restart that finishes after one is dropped. */
  epoch: number;
  restartTimers: Set<NodeJS.Timeout>;
  /** Aborted when the power goes off: boots in progress stop where they are. */
  powered: AbortController;
}

export interface BoardProcessesOptions {
  /**
   * The board's firmware before Linux (U-Boot): resolves when it hands over, throws the reason
   * the board stays dark. `signal` aborts when the power goes, whatever it waits for.
   */
  firmware(board: string, signal: AbortSignal): Promise<void>;
  /** The board-side boot program (dist/board-boot.mjs). */
  bootProgram: string;
  logsDir: string;
  /** Seconds before a crashed agent is started again; 0 leaves it down. */
  restartDelayS: number;
  /** After a group was switched off (not at the desk's own stop), with its boards: what their RAM held goes too. */
  onPowerOff?(boards: readonly string[]): Promise<void>;
  logger: Logger;
}

/**
 * The boards' scheduling priority (nice), inherited by their agents and guests. On a real desk
 * the boards have CPUs of their own; here 490 of them booting at once starve the desk's broker
 * of the CPU its password checks need, every CONNACK comes too late, and every board retries
 * (a new TLS handshake each time), which starves it further.
 */
const BOARD_NICE = 10;

/** A board stops its guests before it exits: hundreds of them take a while. */
const STOP_GRACE_MS = 60_000;

export function createBoardProcesses(groups: BoardGroup[], opts: BoardProcessesOptions) {
  const states = new Map<string, Running>(groups.map((g) => [g.name, { group: g, name: g.name, boards: g.boards, power: 'off', children: [], dark: {}, restarts: 0, epoch: 0, restartTimers: new Set(), powered: groupSwitch(g.boards.length) }]));
  const byBoard = new Map<string, Running>();
  for (const s of states.values()) for (const b of s.boards) byBoard.set(b, s);

  /** `resetAt`: when these boards were last switched on or reset, their boot phases' `power-on`. */
  const spawnBoot = (s: Running, boards: string[], resetAt: number) => {
    // Agents log topics and what they were sent: owner-only (host/desk/private-state.ts).
    const log = openSync(join(opts.logsDir, `agent-${s.name}.log`), 'a', PRIVATE_FILE_MODE);
    fchmodSync(log, PRIVATE_FILE_MODE);
    const configs = boards.map((b) => s.group.configFiles[s.boards.indexOf(b)]!);
    // In the supervisor's process group, so reaping a crashed desk takes it and its agents too.
    const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, opts.bootProgram, ...configs.flatMap((f) => ['--config', f])], {
      env: { ...process.env, DESKBOX_POWER_ON_AT: String(resetAt) },
      stdio: ['ignore', log, log, 'ipc'],
    });
    closeSync(log);
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, BOARD_NICE);
      } catch (e) {
        opts.logger.warn('could not lower the boards\' priority', { group: s.name, error: (e as Error).message });
      }
    }
    const entry: Child = { child, boards, agents: [] };
    s.children.push(entry);
    child.on('message', (m: BootReport) => {
      if (m.type === 'dark') s.dark[m.board] = m.reason;
      if (m.type === 'agents') entry.agents = m.pids;
    });
    child.on('exit', (code, signal) => {
      // A boot program that was killed leaves its agents behind; on a board they go with it.
      // (One that exited on its own did so after its agents ended: their pids may be reused.)
      if (signal) killAll(entry.agents, 'SIGKILL');
      s.children = s.children.filter((c) => c !== entry);
      s.lastExit = signal ? `signal ${signal}` : `code ${code}`;
      if (s.power === 'off' || code === HALT_EXIT_CODE) return;
      const reboot = code === REBOOT_EXIT_CODE;
      if (!reboot) opts.logger.warn('board process died', { group: s.name, exit: s.lastExit });
      if (reboot || opts.restartDelayS > 0) {
        const epoch = s.epoch;
        const timer = setTimeout(() => {
          s.restartTimers.delete(timer);
          if (s.power !== 'on' || s.epoch !== epoch) return;
          if (!reboot) s.restarts++;
          void launch(s, boards);
        }, reboot ? 0 : opts.restartDelayS * 1000);
        s.restartTimers.add(timer);
      }
    });
  };

  const launch = async (s: Running, boards = s.boards) => {
    const epoch = s.epoch;
    const resetAt = Date.now();
    for (const b of boards) delete s.dark[b];
    const handedOver: string[] = [];
    await Promise.all(boards.map(async (b) => {
      try {
        await opts.firmware(b, s.powered.signal);
        handedOver.push(b);
      } catch (e) {
        s.dark[b] = (e as Error).message;
      }
    }));
    if (epoch !== s.epoch || s.power !== 'on' || handedOver.length === 0) return;
    spawnBoot(s, s.boards.filter((b) => handedOver.includes(b)), resetAt);
  };

  const stopChildren = async (s: Running) => {
    for (const t of s.restartTimers) clearTimeout(t);
    s.restartTimers.clear();
    await Promise.all(s.children.map((c) => new Promise<void>((resolve) => {
      const { child } = c;
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      // The boot program passes SIGTERM on to its agents and waits for them.
      const force = setTimeout(() => killAll([child.pid!, ...c.agents], 'SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => { clearTimeout(force); resolve(); });
      child.kill('SIGTERM');
    })));
  };

  const powerOn = async (s: Running) => {
    if (s.power === 'on' && (s.children.length > 0 || s.restartTimers.size > 0)) return;
    s.power = 'on';
    s.epoch++;
    s.powered = groupSwitch(s.boards.length);
    s.poweredOnAt = Date.now();
    s.dark = {};
    await launch(s);
  };

  const powerOff = async (s: Running) => {
    s.power = 'off';
    s.epoch++;
    s.powered.abort();
    await stopChildren(s);
  };

  const view = (s: Running): GroupState => ({
    name: s.name, boards: s.boards, power: s.power, dark: s.dark, poweredOnAt: s.poweredOnAt, restarts: s.restarts, lastExit: s.lastExit,
    processes: s.children.filter((c) => c.child.pid !== undefined).map((c) => ({ pid: c.child.pid!, boards: c.boards })),
  });

  return {
    groups: () => [...states.values()].map(view),
    group: (board: string) => byBoard.get(board) && view(byBoard.get(board)!),
    powerOnAll: () => Promise.all([...states.values()].map(powerOn)).then(() => undefined),
    async power(board: string, action: PowerAction): Promise<GroupState> {
      const s = byBoard.get(board);
      if (!s) throw new Error(`no board "${board}" on this desk`);
      if (action !== 'on') {
        await powerOff(s);
        await opts.onPowerOff?.(s.boards);
      }
      if (action !== 'off') await powerOn(s);
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

function killAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch { /* already gone */ }
  }
}

/** A group's power switch: every board of the group waits on it while it boots. */
function groupSwitch(boards: number): AbortController {
  const power = new AbortController();
  setMaxListeners(Math.max(10, boards * 2), power.signal);
  return power;
}
