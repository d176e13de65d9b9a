/**
 * The recovery steps (recovery.ts) with a desk's real effects: its outlets, `deskbox flash`'s
 * single-board path (flash-one.ts: the agent's protocol, else U-Boot, reset through the outlet)
 * with the board's image to reflash (known-good.ts: its last known-good one, else the desk's),
 * the boards' statuses and the `health.check` op. Where each console is comes from the caller:
 * a simulated desk's own ptys, or a real desk's desk file, looked up at each reflash (an
 * adapter may have been replugged).
 */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { createRequester } from '../client/request.ts';
import { flashOne } from '../flash/flash-one.ts';
import type { UbootProfile } from '../flash/uboot-profile.ts';
import type { BoardOutlets } from './board-outlets.ts';
import type { BoardImages, KnownGoodImage } from './known-good.ts';
import { watchOnline } from './online-watch.ts';
import { recoverBoard, type RecoveryDeps } from './recovery.ts';
import type { RecoveryOutcome } from './service.ts';

/** A board's console now, and the U-Boot profile to flash through it; `problem` when it cannot be used. */
export type RecoveryConsole = { port: string; baud: number; profile: UbootProfile } | { problem: string };

/** What a reflash takes: each board's image, and where each board's console is. */
export interface ReflashSource {
  images: BoardImages;
  consoleOf(board: string): Promise<RecoveryConsole>;
  /** Hears what the board printed during the reflash (a real desk's console logs). */
  onOutput?(board: string, chunk: Buffer): void;
}

export interface DeskRecoveryOptions extends ReflashSource {
  desk: string;
  /** Connected as the host role (health.check is a command). */
  client: MqttClient;
  power: BoardOutlets;
  clock: Clock;
  logger: Logger;
  /** How long a board may take to come back after a step. */
  onlineTimeoutMs: number;
}

export async function deskRecovery(o: DeskRecoveryOptions) {
  const online = await watchOnline(o.client, o.desk);
  const request = createRequester(o.client, o.desk);
  const deps = (board: string, image: KnownGoodImage): RecoveryDeps => {
    const outlet = o.power.outletOf(board);
    return {
      ...(outlet ? { powerCycle: () => outlet.cycle() } : {}),
      async reflash() {
        const line = await o.consoleOf(board);
        if ('problem' in line) throw new Error(`console: ${line.problem}`);
        const r = await flashOne({ label: board, port: line.port, board }, {
          imageFile: image.file, method: 'auto', profile: line.profile, baud: line.baud, clock: o.clock, retries: 2,
          ...(outlet ? { resetBoard: () => outlet.cycle() } : {}),
          ...(o.onOutput ? { onOutput: (_t: unknown, chunk: Buffer) => o.onOutput!(board, chunk) } : {}),
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
    const image = await o.images.forBoard(board);
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
