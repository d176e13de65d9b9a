/**
 * The host's picture of a desk's boards as rows, from the board fold (status and telemetry,
 * checked and ordered) and a tally of what it refused. `boards`, `monitor` and /metrics share
 * it, so they read a desk alike; the dashboard runs the same fold in the browser.
 */
import { createBoardFold, type Rejection } from './board-fold.ts';
import { createRejectionTally } from './rejection-tally.ts';
import { parseBoardTopic } from '../../broker/contract/topics.ts';

export interface BoardRow {
  board: string;
  state: 'online' | 'offline' | 'unknown';
  version?: string;
  /** The board image it booted and its slot (status), when online. */
  image?: { name: string; version: string; slot: 'a' | 'b' };
  guestRuntime?: string;
  /** When the board booted (epoch ms, status), when online. */
  bootedAt?: number;
  powerW?: number;
  volts?: number;
  amps?: number;
  energyJ?: number;
  uptimeS?: number;
  cpu?: number;
  memBytes?: number;
  guests?: { running: number; ready?: number; failed: number; runtime?: string };
  lastTelemetryAt?: number;
}

export interface BoardViewOptions {
  /** Told of every message the view refused (metrics count them), besides the view's own tally. */
  onRejected?: (rejection: Rejection) => void;
  /** The reader's clock, for the ordering's "stamped in the future" escape. */
  now?: () => number;
}

export function createBoardView(desk: string, opts: BoardViewOptions = {}) {
  const fold = createBoardFold(desk);
  const tally = createRejectionTally();
  const now = opts.now ?? Date.now;
  const { status, telemetry } = fold;
  // The broker clears an offline board's retained telemetry (docs/mqtt.md): what this reader
  // saw last of it stays its energy counter and its "last heard", as before the clear.
  const lastHeard = new Map<string, { energyJ: number; at: number }>();

  return {
    /** Rejections so far: counts by reason and the latest few. */
    rejected: () => tally.summary(),
    newConnection: () => fold.newConnection(),
    /**
     * Folds one message in; returns whether it changed the picture. `retained` is the packet's
     * retain flag (a copy from the broker's store, read when the subscription was made).
     */
    apply(topic: string, payload: Uint8Array, retained = false): boolean {
      const cleared = payload.byteLength === 0 ? parseBoardTopic(topic) : undefined;
      const held = cleared?.channel === 'telemetry' && cleared.desk === desk ? telemetry.get(cleared.board) : undefined;
      if (held) lastHeard.set(held.board, { energyJ: held.energyJ, at: held.at });
      const outcome = fold.apply(topic, payload, retained, now());
      if (outcome.kind === 'rejected') {
        tally.add(outcome.rejection);
        opts.onRejected?.(outcome.rejection);
      }
      return outcome.kind === 'changed';
    },
    has: (board: string) => status.has(board),
    /** Its status is in and, when it is online, a telemetry sample too (the broker replays every retained status before any telemetry). */
    complete(board: string): boolean {
      const s = status.get(board);
      return s !== undefined && (s.state !== 'online' || telemetry.has(board));
    },
    rows(expected: string[] = []): BoardRow[] {
      const ids = [...new Set([...expected, ...status.keys(), ...telemetry.keys()])].sort();
      return ids.map((board) => {
        const s = status.get(board);
        const tm = telemetry.get(board);
        const last = tm ?? lastHeard.get(board);
        const online = s?.state === 'online';
        return {
          board,
          state: s ? s.state : 'unknown',
          version: online ? s.version : undefined,
          image: online && s.image ? { name: s.image.name, version: s.image.version, slot: s.image.slot } : undefined,
          guestRuntime: online ? s.guestRuntime : undefined,
          bootedAt: online ? s.bootedAt : undefined,
          powerW: online ? tm?.powerW : undefined,
          volts: online ? tm?.volts : undefined,
          amps: online ? tm?.amps : undefined,
          energyJ: last?.energyJ,
          uptimeS: online ? (tm && tm.at > 0 ? tm.uptimeS : s.uptimeS) : undefined,
          cpu: online ? tm?.cpu : undefined,
          memBytes: online ? tm?.memBytes : undefined,
          guests: online ? tm?.guests : undefined,
          lastTelemetryAt: last?.at,
        };
      });
    },
  };
}

export type BoardView = ReturnType<typeof createBoardView>;
