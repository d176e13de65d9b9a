/**
 * The recovery steps (recovery.ts) with a desk's real effects: its outlets (switchboard.ts),
 * `deskbox flash`'s single-board path (flash-one.ts: the agent's protocol, else U-Boot, reset
 * through the outlet) with the board's last known-good image (known-good.ts, else the desk's
 * board image), the boards' statuses and the `health.check` op. For a simulated desk: consoles
 * and the U-Boot profile are the desk's own.
 */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { createRequester } from '../client/request.ts';
import { flashOne } from '../flash/flash-one.ts';
import { loadUbootProfile } from '../flash/uboot-profile.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import type { Switchboard } from '../real-desk/switchboard.ts';
import { watchOnline } from './online-watch.ts';
import type { KnownGoodImage, KnownGoodStore } from './known-good.ts';
import { recoverBoard, type RecoveryDeps } from './recovery.ts';
import type { RecoveryOutcome } from './service.ts';

export interface DeskRecoveryOptions {
  layout: DeskLayout;
  desk: DeskFile;
  /** Connected as the host role (health.check is a command). */
  client: MqttClient;
  power: Switchboard;
  clock: Clock;
  logger: Logger;
  /** How long a board may take to come back after a step. */
  onlineTimeoutMs: number;
  /** Each board's image to reflash. */
  knownGood: Pick<KnownGoodStore, 'forBoard'>;
}

export async function simulatedDeskRecovery(o: DeskRecoveryOptions) {
  const online = await watchOnline(o.client, o.desk.desk);
  const request = createRequester(o.client, o.desk.desk);
  const profile = await loadUbootProfile('sim');
  const deps = (board: string, image: KnownGoodImage): RecoveryDeps => {
    const outlet = o.power.outletOf(board);
    return {
      ...(outlet ? { powerCycle: () => outlet.cycle() } : {}),
      async reflash() {
        const target = { label: board, port: o.layout.board(board).consolePort, board };
        const r = await flashOne(target, {
          imageFile: image.file, method: 'auto', profile, baud: o.desk.console.baud, clock: o.clock, retries: 2,
          ...(outlet ? { resetBoard: () => outlet.cycle() } : {}),
        });
        if (!r.ok) throw new Error(`flash ${r.error?.phase ?? ''}: ${r.error?.message ?? 'failed'}`);
      },
      online: (b, since) => online.until(b, since, o.onlineTimeoutMs),
      async check(b) {
        const reply = await request(b, 'health.check', {}, 120_000);
        if (!reply.ok) throw new Error(`health.check: ${reply.error.message}`);
        return reply.result;
      },
      knownGood: { sha256: image.sha256, version: image.version },
      now: () => o.clock.now(),
    };
  };
  const recover = async (board: string): Promise<RecoveryOutcome> => {
    const image = await o.knownGood.forBoard(board);
    if (image.fallbackBecause) o.logger.warn('reflashing the desk\'s board image', { board, because: image.fallbackBecause });
    return recoverBoard(board, deps(board, image));
  };
  return {
    /** For the health service: the steps it will take, and their outcome. */
    recover(board: string): { steps: string[]; done: Promise<RecoveryOutcome> } {
      const steps = [...(o.power.outletOf(board) ? ['power-cycle'] : []), 'reflash'];
      o.logger.info('recovering', { board, steps });
      return { steps, done: recover(board).catch((e: Error) => ({ ok: false, steps, reason: e.message })) };
    },
    close: () => online.close(),
  };
}
