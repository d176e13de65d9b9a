/**
 * A real desk's health service (`deskbox health serve --desk-file`): the same service a
 * simulated desk's supervisor runs, with the outlets, consoles and U-Boot profiles of the desk
 * file (as `deskbox flash` and `desk power` take them), the known-good board image it is given,
 * its record in `<state>/health.db` and what boards print while reflashed in
 * `<state>/consoles/<board>.log`.
 */
import { mkdir } from 'node:fs/promises';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { realDeskAccess } from '../client/access.ts';
import { boardConsoleLogPath, openConsoleLogs } from '../flash/console-log.ts';
import { loadUbootProfile } from '../flash/uboot-profile.ts';
import { startDeskHealthService } from '../health/desk-health-service.ts';
import type { RecoveryConsole } from '../health/desk-recovery.ts';
import type { HealthThresholds } from '../health/evidence.ts';
import { verifiedBoardImage } from '../health/known-good.ts';
import type { Transition } from '../health/policy.ts';
import { watchOutletStates } from '../health/outlet-watch.ts';
import type { RealDesk } from '../locations/desk-yaml.ts';
import { deskLayout } from '../locations/layout.ts';
import { defaultAdapterSources, listAdapters } from './adapters.ts';
import { resolveConsoles } from './console-paths.ts';
import { openSwitchboard } from './switchboard.ts';

export interface RealDeskHealthOptions {
  real: RealDesk;
  /** The state folder: the health record and console logs. */
  state: string;
  /** The known-good board image a recovery reflashes. */
  boardImage: string;
  /** The U-Boot profile of boards whose desk file names none. */
  profile: string;
  thresholds: HealthThresholds;
  onlineTimeoutMs: number;
  /** How often the outlets are asked whether they are off. */
  outletPollMs: number;
  onTransition?(t: Transition): void;
  clock: Clock;
  logger: Logger;
}

/** A board's console as the desk file resolves it now: every board at once, so two claiming one adapter both fail. */
async function consoleOf(real: RealDesk, board: string, defaultProfile: string): Promise<RecoveryConsole> {
  const consoles = await resolveConsoles(real, async () => (await listAdapters(defaultAdapterSources())).adapters);
  const c = consoles.find((x) => x.board === board);
  if (!c) return { problem: `${board} is not a board of ${real.file}` };
  if (c.problem || !c.path) return { problem: c.problem ?? 'no console path' };
  return { port: c.path, baud: c.baud, profile: await loadUbootProfile(real.boards[board]?.uboot || defaultProfile) };
}

export async function startRealDeskHealth(o: RealDeskHealthOptions) {
  const image = await verifiedBoardImage(o.boardImage);
  await mkdir(o.state, { recursive: true, mode: 0o700 });
  // A service has no person at a terminal: the manual driver's requests go to the log.
  const power = await openSwitchboard(o.real, { state: o.state, say: (line) => o.logger.warn(line) });
  const logs = openConsoleLogs();
  const closePower = async () => {
    await power.close();
    await logs.close().catch((e: Error) => o.logger.warn('console logs not closed', { error: e.message }));
  };
  try {
    const outlets = await watchOutletStates(power, Object.keys(o.real.boards), o.clock, o.outletPollMs);
    const health = await startDeskHealthService({
      access: await realDeskAccess(o.real, 'host'),
      healthDb: deskLayout(o.state).healthDb,
      thresholds: o.thresholds,
      onlineTimeoutMs: o.onlineTimeoutMs,
      power,
      // The desk cannot read a real board's slot, so every board gets the image it was given.
      reflash: {
        images: { forBoard: async () => image },
        consoleOf: (board) => consoleOf(o.real, board, o.profile),
        onOutput: (board, chunk) => logs.write(boardConsoleLogPath(o.state, board), chunk),
      },
      switchedOff: outlets.isOff,
      ...(o.onTransition && { onTransition: o.onTransition }),
      clock: o.clock,
      logger: o.logger,
    }).catch((e: Error) => { outlets.stop(); throw e; });
    return {
      service: health.service,
      async close(): Promise<void> {
        outlets.stop();
        await health.close();
        await closePower();
      },
    };
  } catch (e) {
    await closePower();
    throw e;
  }
}
