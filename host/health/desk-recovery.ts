/**
 * The recovery steps (recovery.ts) with a desk's real effects: its outlets (switchboard.ts),
 * `deskbox flash`'s single-board path (flash-one.ts: the agent's protocol, else U-Boot, reset
 * through the outlet) with the desk's known-good board image, the boards' statuses and the
 * `health.check` op. Where each console is comes from the caller: a simulated desk's own ptys,
 * or a real desk's desk file, looked up at each reflash (an adapter may have been replugged).
 */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { verifyImageFile } from '../../images/verify-file.ts';
import { createRequester } from '../client/request.ts';
import { flashOne } from '../flash/flash-one.ts';
import type { UbootProfile } from '../flash/uboot-profile.ts';
import type { Switchboard } from '../real-desk/switchboard.ts';
import { watchOnline } from './online-watch.ts';
import { recoverBoard, type RecoveryDeps } from './recovery.ts';
import type { RecoveryOutcome } from './service.ts';

/** A board's console now, and the U-Boot profile to flash through it; `problem` when it cannot be used. */
export type RecoveryConsole = { port: string; baud: number; profile: UbootProfile } | { problem: string };

/** What a reflash takes: the desk's known-good board image, and where each board's console is. */
export interface ReflashSource {
  boardImage: string;
  consoleOf(board: string): Promise<RecoveryConsole>;
  /** Hears what the board printed during the reflash (a real desk's console logs). */
  onOutput?(board: string, chunk: Buffer): void;
}

export interface DeskRecoveryOptions extends ReflashSource {
  desk: string;
  /** Connected as the host role (health.check is a command). */
  client: MqttClient;
  power: Switchboard;
  clock: Clock;
  logger: Logger;
  /** How long a board may take to come back after a step. */
  onlineTimeoutMs: number;
}

export class RecoveryImageError extends Error {
  override readonly name = 'RecoveryImageError';
  constructor(readonly file: string, detail: string) {
    super(`the desk's board image ${file} does not verify: ${detail}`);
  }
}

export async function deskRecovery(o: DeskRecoveryOptions) {
  const verdict = await verifyImageFile(o.boardImage);
  if (!verdict.ok || !verdict.manifest) throw new RecoveryImageError(o.boardImage, verdict.error?.message ?? 'no manifest');
  if (verdict.manifest.kind !== 'board') throw new RecoveryImageError(o.boardImage, `a ${verdict.manifest.kind} image, not a board image`);
  const knownGood = { sha256: verdict.manifest.payload.sha256, version: verdict.manifest.version };
  const online = await watchOnline(o.client, o.desk);
  const request = createRequester(o.client, o.desk);
  const deps = (board: string): RecoveryDeps => {
    const outlet = o.power.outletOf(board);
    return {
      ...(outlet ? { powerCycle: () => outlet.cycle() } : {}),
      async reflash() {
        const line = await o.consoleOf(board);
        if ('problem' in line) throw new Error(`console: ${line.problem}`);
        const r = await flashOne({ label: board, port: line.port, board }, {
          imageFile: o.boardImage, method: 'auto', profile: line.profile, baud: line.baud, clock: o.clock, retries: 2,
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
      knownGood,
      now: () => o.clock.now(),
    };
  };
  return {
    /** For the health service: the steps it will take, and their outcome. */
    recover(board: string): { steps: string[]; done: Promise<RecoveryOutcome> } {
      const d = deps(board);
      const steps = [...(d.powerCycle ? ['power-cycle'] : []), 'reflash'];
      o.logger.info('recovering', { board, steps });
      return { steps, done: recoverBoard(board, d).catch((e: Error) => ({ ok: false, steps, reason: e.message })) };
    },
    close: () => online.close(),
  };
}
