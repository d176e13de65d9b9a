/**
 * A simulated desk's health service (host/health/), run by its supervisor: it judges every
 * board from what the boards say, keeps the record in `<state>/health.db`, publishes its
 * verdicts, remembers each board's last known-good image (copied from the board's slot when
 * it passes a check while healthy), and recovers quarantined boards through the desk's own
 * switch and consoles with that image, else the desk's board image.
 */
import { existsSync } from 'node:fs';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { systemClock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { simulatedDeskAccess } from '../client/access.ts';
import { loadUbootProfile } from '../flash/uboot-profile.ts';
import type { BoardOutlets } from '../health/board-outlets.ts';
import { startDeskHealthService } from '../health/desk-health-service.ts';
import { DEFAULT_THRESHOLDS } from '../health/evidence.ts';
import { openKnownGood, verifiedBoardImage } from '../health/known-good.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import type { BrokerPorts } from '../locations/broker-urls.ts';

export interface DeskHealthDeps {
  /** The desk's own switch (the supervisor's), for power cycles. */
  outlets: BoardOutlets;
  /** Boards the desk's switch has off: they owe no telemetry, and their going is no fault. */
  switchedOff(board: string): boolean;
  logger: Logger;
}

export async function startDeskHealth(layout: DeskLayout, desk: DeskFile, broker: { host: string } & BrokerPorts, deps: DeskHealthDeps) {
  const profile = await loadUbootProfile('sim');
  // A desk started with `--board-image` keeps no copy: nothing known-good to reflash with.
  const knownGood = existsSync(layout.boardImage) ? await openKnownGood(layout.knownGoodDir, await verifiedBoardImage(layout.boardImage)) : undefined;
  const health = await startDeskHealthService({
    access: await simulatedDeskAccess(layout, desk, broker, 'host'),
    healthDb: layout.healthDb,
    thresholds: { ...DEFAULT_THRESHOLDS, ...desk.health.thresholds },
    onlineTimeoutMs: desk.health.onlineTimeoutMs,
    power: deps.outlets,
    reflash: knownGood
      ? { images: knownGood, consoleOf: async (board) => ({ port: layout.board(board).consolePort, baud: desk.console.baud, profile }) }
      : { none: `no known-good board image in ${layout.boardImage} (the desk was started with --board-image)` },
    ...(knownGood && { keepKnownGood: { store: knownGood, sourceOf: (board, slot) => openFlashSlots(layout.board(board).flashDir).slotFile(slot) } }),
    switchedOff: deps.switchedOff,
    clock: systemClock(),
    logger: deps.logger,
  });
  return { service: health.service, close: () => health.close() };
}
