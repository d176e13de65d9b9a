/**
 * The board-side boot program (`board-boot.mjs`), what runs between the kernel and the agent
 * on every board, real or simulated:
 *
 *   board-boot.mjs --config <board.json> [--config ...]      boot these boards, run their agents
 *   board-boot.mjs install ...                               put deskbox on a Debian board (board/install/)
 *
 * Each board boots from its A/B slots (board/boot/boot-board.ts); the agents run as children
 * and the program ends with their exit code: 75 asks the init to start it again (a reboot:
 * the next slot is chosen then), 78 means halted (nothing bootable). When run by the simulated
 * desk it also reports each board's outcome over its IPC channel.
 */
import { parseArgs } from 'node:util';
import type { Booted } from './boot-board.ts';
import { bootBoard } from './boot-board.ts';
import { sharedSlotLoads, type SlotLoader } from './shared-loads.ts';
import { runAgents, type AgentLaunch } from './agents.ts';
import { consoleLines } from './console-lines.ts';
import { HALT_EXIT_CODE } from '../launch/exit-codes.ts';
import { loadBoardConfig } from '../config/board-config.ts';
import { openFlashSlots } from '../flash/slots.ts';
import { AGENT_NODE_FLAGS } from '../launch/node-flags.ts';
import { stderrLogger, type Logger } from '../../platform/log.ts';
import { parsePublicKey } from '../../images/format/keys.ts';
import { runInstall } from '../install/install-command.ts';

/** RAM (tmpfs) on a Debian board; the simulated desk points each board's config elsewhere. */
const DEFAULT_UNPACK_DIR = '/run/deskbox/agents';

/** What the simulated desk's board processes learn over IPC. */
export type BootReport =
  | { type: 'booted'; board: string; slot: string; image: string; ms: number }
  | { type: 'dark'; board: string; reason: string }
  /** The agents' pids: if this program is killed, its init takes them down too (systemd does so by cgroup). */
  | { type: 'agents'; pids: number[] };

async function bootOne(file: string, logger: Logger, load: SlotLoader): Promise<{ board: string; booted: Booted; config: string; launcher: string[] } | { board: string; reason: string }> {
  let board = file;
  try {
    const config = await loadBoardConfig(file);
    board = config.board;
    if (!config.flash || !config.bootInfo || !config.images) throw new Error(`${file} has no flash.dir, bootInfo or images section: nothing tells where the slots are and which keys to trust`);
    const keys = config.images.trustedKeys.map((k, i) => parsePublicKey(k, `images.trustedKeys[${i}]`));
    const lines = consoleLines(config.hardware.console, (line) => logger.info(line, { board }));
    try {
      lines.say(`deskbox boot (board ${board})`);
      const booted = await bootBoard(board, openFlashSlots(config.flash.dir), config.bootInfo, {
        keys, boardType: config.images.boardType, unpackDir: config.boot?.unpackDir ?? DEFAULT_UNPACK_DIR, console: lines.say, logger, load,
        ...(config.flash.inbox ? { inbox: config.flash.inbox } : {}),
      });
      return { board, booted, config: file, launcher: config.boot?.launcher ?? [] };
    } finally {
      await lines.flush();
    }
  } catch (e) {
    return { board, reason: (e as Error).message };
  }
}

async function boot(files: string[]): Promise<number> {
  const logger = stderrLogger('boot');
  const sent: Promise<void>[] = [];
  const report = (r: BootReport) => {
    if (process.send) sent.push(new Promise((resolve) => process.send!(r, undefined, undefined, () => resolve())));
  };
  const load = sharedSlotLoads();
  const outcomes = await Promise.all(files.map((f) => bootOne(f, logger, load)));
  const launches = new Map<string, AgentLaunch>();
  for (const o of outcomes) {
    if (!('booted' in o)) {
      logger.error('board does not boot', { board: o.board, reason: o.reason });
      report({ type: 'dark', board: o.board, reason: o.reason });
      continue;
    }
    const command = [...o.launcher, o.booted.node ?? process.execPath];
    const key = `${command.join('\0')}\0${o.booted.agentFile}`;
    const launch = launches.get(key) ?? { command, agentFile: o.booted.agentFile, configs: [] };
    launch.configs.push(o.config);
    launches.set(key, launch);
    report({ type: 'booted', board: o.board, slot: o.booted.slot, image: `${o.booted.manifest.name} ${o.booted.manifest.version}`, ms: Math.round(o.booted.ms) });
  }
  await Promise.all(sent);
  if (launches.size === 0) return HALT_EXIT_CODE;
  const agents = runAgents([...launches.values()], { nodeFlags: AGENT_NODE_FLAGS, env: process.env, logger });
  report({ type: 'agents', pids: agents.pids() });
  let stopped = false;
  const onSignal = (signal: NodeJS.Signals) => { stopped = true; agents.stop(signal); };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const code = await agents.exited;
  return stopped ? 0 : code;
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'install') return runInstall(rest);
  const args = command === 'boot' ? rest : process.argv.slice(2);
  const { values } = parseArgs({ args, options: { config: { type: 'string', multiple: true } } });
  const files = values.config ?? [];
  if (files.length === 0) {
    process.stderr.write('usage: board-boot.mjs [boot] --config <board.json> [--config ...] | install --help\n');
    return 2;
  }
  return boot(files);
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`deskbox boot: ${err.message}\n`);
  process.exit(HALT_EXIT_CODE);
});
