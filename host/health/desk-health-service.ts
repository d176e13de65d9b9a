/**
 * A desk's health service with everything it runs on: its MQTT session (host role), its record
 * in the state folder, and recovery through the desk's outlets and consoles. A simulated desk's
 * supervisor (host/desk/desk-health.ts) and a real desk's `deskbox health serve`
 * (host/real-desk/desk-health.ts) differ only in where the outlets, the consoles and the
 * images to reflash come from, which they pass in; only a simulated desk can read a board's
 * slot, so only it keeps each board's last known-good image.
 */
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import type { DeskAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import type { BoardOutlets } from './board-outlets.ts';
import { deskRecovery, type ReflashSource } from './desk-recovery.ts';
import type { HealthThresholds } from './evidence.ts';
import type { KnownGoodStore } from './known-good.ts';
import { createKnownGoodWatch, type KnownGoodWatchDeps } from './known-good-watch.ts';
import { openHealthHistory } from './history.ts';
import type { Transition } from './policy.ts';
import { startHealthService } from './service.ts';

export interface DeskHealthOptions {
  /** The host role's access: health.check is a command, verdicts are published. */
  access: DeskAccess;
  /** `<state>/health.db`. */
  healthDb: string;
  thresholds: HealthThresholds;
  /** How long a board may take to come back after a recovery step. */
  onlineTimeoutMs: number;
  /** The desk's outlets; the caller's to close. */
  power: BoardOutlets;
  /** What a reflash takes, or why the desk cannot reflash (recoveries then fail with that reason). */
  reflash: ReflashSource | { none: string };
  /**
   * Keep each board's last known-good image (known-good-watch.ts) where the desk can read a
   * board's slot (a simulated desk): `store` is the same one `reflash.images` reads.
   */
  keepKnownGood?: { store: KnownGoodStore; sourceOf: KnownGoodWatchDeps['sourceOf'] };
  /** Boards the desk switched off: they owe no telemetry, and their going is no fault. */
  switchedOff?(board: string): boolean;
  /** Hears each transition (`health serve --json`). */
  onTransition?(t: Transition): void;
  clock: Clock;
  logger: Logger;
}

export async function startDeskHealthService(o: DeskHealthOptions) {
  const history = openHealthHistory(o.healthDb);
  const client = await connectToDesk(o.access, 'health').catch((e: Error) => { history.close(); throw e; });
  const closeAll = async () => {
    history.close();
    await client.endAsync();
  };
  try {
    const recovery = 'none' in o.reflash
      ? undefined
      : await deskRecovery({ ...o.reflash, desk: o.access.desk, client, power: o.power, clock: o.clock, logger: o.logger.child('recovery'), onlineTimeoutMs: o.onlineTimeoutMs });
    const noReflash = 'none' in o.reflash ? o.reflash.none : '';
    const service = await startHealthService({
      client, desk: o.access.desk, thresholds: o.thresholds, history, clock: o.clock, logger: o.logger,
      ...(o.switchedOff && { switchedOff: o.switchedOff }),
      ...(o.onTransition && { onTransition: o.onTransition }),
      recover: (board) => recovery?.recover(board) ?? { steps: [], done: Promise.resolve({ ok: false, steps: [], reason: noReflash }) },
    });
    // After the service: its listener judges a report before this one reads the verdict.
    const detachWatch = o.keepKnownGood
      ? await createKnownGoodWatch({
        store: o.keepKnownGood.store, sourceOf: o.keepKnownGood.sourceOf, logger: o.logger.child('known-good'),
        stateOf: (board) => service.current().get(board)?.state ?? 'healthy',
      }).attach(client, o.access.desk)
      : undefined;
    return {
      service,
      async close(): Promise<void> {
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
