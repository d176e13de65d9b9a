/**
 * A simulated desk's health service (host/health/), run by its supervisor: it judges every
 * board from what the boards say, keeps the record in `<state>/health.db`, publishes its
 * verdicts, and recovers quarantined boards through the desk's own switch and consoles with
 * the desk's board image.
 */
import { existsSync } from 'node:fs';
import { systemClock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { simulatedDeskAccess } from '../client/access.ts';
import { loadUbootProfile } from '../flash/uboot-profile.ts';
import { startDeskHealthService } from '../health/desk-health-service.ts';
import { DEFAULT_THRESHOLDS } from '../health/evidence.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import type { BrokerPorts } from '../locations/broker-urls.ts';
import { openSwitchboard } from '../real-desk/switchboard.ts';

/** `switchedOff`: boards the desk's switch has off (they owe no telemetry, and their going is no fault). */
export async function startDeskHealth(layout: DeskLayout, desk: DeskFile, broker: { host: string } & BrokerPorts, logger: Logger, switchedOff: (board: string) => boolean) {
  const power = await openSwitchboard(undefined, { state: layout.root, say: (line) => logger.info(line) });
  try {
    const profile = await loadUbootProfile('sim');
    const health = await startDeskHealthService({
      access: await simulatedDeskAccess(layout, desk, broker, 'host'),
      healthDb: layout.healthDb,
      thresholds: { ...DEFAULT_THRESHOLDS, ...desk.health.thresholds },
      onlineTimeoutMs: desk.health.onlineTimeoutMs,
      power,
      // A desk started with `--board-image` keeps no copy: nothing known-good to reflash with.
      reflash: existsSync(layout.boardImage)
        ? { boardImage: layout.boardImage, consoleOf: async (board) => ({ port: layout.board(board).consolePort, baud: desk.console.baud, profile }) }
        : { none: `no known-good board image in ${layout.boardImage} (the desk was started with --board-image)` },
      switchedOff,
      clock: systemClock(),
      logger,
    });
    return {
      service: health.service,
      async close(): Promise<void> {
        await health.close();
        await power.close();
      },
    };
  } catch (e) {
    await power.close();
    throw e;
  }
}
