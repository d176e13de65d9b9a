/**
 * Board process entry: `board.mjs --config <file> [--config <file> ...]`. One config is one
 * board; a simulated desk packs several boards into one process this way.
 */
import { parseArgs } from 'node:util';
import { createAgent, type Agent } from './agent.ts';
import { loadBoardConfig, readPassword } from './config/board-config.ts';
import { readBootInfo } from './flash/boot-info.ts';
import { openBoardHardware } from './hardware.ts';
import { systemClock } from '../platform/clock.ts';
import { stderrLogger } from '../platform/log.ts';
import { createScheduler } from './runtime/scheduler.ts';
import { AGENT_VERSION } from './version.ts';
import { REBOOT_EXIT_CODE } from './launch/exit-codes.ts';
import { bootTimeline, readUptimeS } from './boot-timeline.ts';

const agentStartAt = Date.now();

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', multiple: true } } });
  const files = values.config ?? [];
  if (files.length === 0) throw new Error('usage: board.mjs --config <board.json> [--config ...]');
  const timeline = bootTimeline(process.env, Date.now(), () => readUptimeS());
  const clock = systemClock();
  const agents: Agent[] = [];
  for (const file of files) {
    let config = await loadBoardConfig(file);
    const logger = stderrLogger(`board:${config.board}`);
    // The boot program says which image this agent came from; that image's defaults sit under the board's own file.
    const bootInfo = config.bootInfo ? await readBootInfo(config.bootInfo).catch((e: Error) => { logger.warn('no boot info', { error: e.message }); return undefined; }) : undefined;
    if (bootInfo?.defaults) config = await loadBoardConfig(file, bootInfo.defaults);
    agents.push(createAgent({
      config,
      password: await readPassword(config.broker.passwordFile),
      version: AGENT_VERSION,
      boot: { ...timeline, agentStartAt },
      bootInfo,
      openHardware: () => openBoardHardware(config.hardware),
      clock,
      scheduler: createScheduler({ clock, logger: logger.child('schedule') }),
      logger,
      reboot: () => void stop(REBOOT_EXIT_CODE),
    }));
  }
  let stopping = false;
  // The boards of one process share it: a reboot of one (a flash committed) reboots them all.
  async function stop(code = 0) {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled(agents.map((a) => a.stop()));
    process.exit(code);
  }
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  await Promise.all(agents.map((a) => a.start()));
}

main().catch((err: Error) => {
  process.stderr.write(`deskbox board: ${err.message}\n`);
  process.exit(1);
});
