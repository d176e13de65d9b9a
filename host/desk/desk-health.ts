/**
 * A simulated desk's health service (host/health/), run by its supervisor: it judges every
 * board from what the boards say, keeps the record in `<state>/health.db`, publishes its
 * verdicts, remembers each board's last known-good image (copied from the board's slot when
 * it passes a check while healthy), and recovers quarantined boards through the desk's own
 * switch and consoles with that image, else the desk's board image.
 */
import { existsSync } from 'node:fs';
import { systemClock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { simulatedDeskAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { DEFAULT_THRESHOLDS } from '../health/evidence.ts';
import { simulatedDeskRecovery } from '../health/desk-recovery.ts';
import { openKnownGood, type KnownGoodImage } from '../health/known-good.ts';
import { createKnownGoodWatch } from '../health/known-good-watch.ts';
import { verifyImageFile } from '../../images/verify-file.ts';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { openHealthHistory } from '../health/history.ts';
import { startHealthService } from '../health/service.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import type { BrokerPorts } from '../locations/broker-urls.ts';
import { openSwitchboard } from '../real-desk/switchboard.ts';

/** `switchedOff`: boards the desk's switch has off (they owe no telemetry, and their going is no fault). */
export async function startDeskHealth(layout: DeskLayout, desk: DeskFile, broker: { host: string } & BrokerPorts, logger: Logger, switchedOff: (board: string) => boolean) {
  const clock = systemClock();
  const client = await connectToDesk(await simulatedDeskAccess(layout, desk, broker, 'host'), 'health');
  const history = openHealthHistory(layout.healthDb);
  const power = await openSwitchboard(undefined, { state: layout.root, say: (line) => logger.info(line) });
  const closeAll = async () => {
    await power.close();
    history.close();
    await client.endAsync();
  };
  try {
    // A desk started with `--board-image` keeps no copy: nothing known-good to reflash with.
    const knownGood = existsSync(layout.boardImage) ? await openKnownGood(layout.knownGoodDir, await deskBoardImage(layout.boardImage)) : undefined;
    const recovery = knownGood
      ? await simulatedDeskRecovery({ layout, desk, client, power, clock, logger: logger.child('recovery'), onlineTimeoutMs: desk.health.onlineTimeoutMs, knownGood })
      : undefined;
    const service = await startHealthService({
      client, desk: desk.desk, thresholds: { ...DEFAULT_THRESHOLDS, ...desk.health.thresholds }, history, clock, logger,
      switchedOff,
      recover: (board) => recovery?.recover(board) ?? { steps: [], done: Promise.resolve({ ok: false, steps: [], reason: `no known-good board image in ${layout.boardImage} (the desk was started with --board-image)` }) },
    });
    // After the service: its listener judges a report before this one reads the verdict.
    const detachWatch = knownGood
      ? await createKnownGoodWatch({
        store: knownGood, logger: logger.child('known-good'),
        stateOf: (board) => service.current().get(board)?.state ?? 'healthy',
        sourceOf: (board, slot) => openFlashSlots(layout.board(board).flashDir).slotFile(slot),
      }).attach(client, desk.desk)
      : undefined;
    return {
      service,
      async close() {
        detachWatch?.();
        await service.stop();
        recovery?.close();
        await closeAll();
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

async function deskBoardImage(file: string): Promise<KnownGoodImage> {
  const verdict = await verifyImageFile(file);
  if (!verdict.ok || !verdict.manifest) throw new Error(`the desk's board image ${file} does not verify: ${verdict.error?.message ?? 'no manifest'}`);
  return { sha256: verdict.manifest.payload.sha256, version: verdict.manifest.version, file };
}
