/**
 * The host's picture of a desk's boards, folded from retained status and telemetry. Pure: it
 * takes messages in and gives rows out, so `boards`, `monitor` and tests share one reading.
 */
import { parseBoardTopic } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { Status, Telemetry } from '../../broker/contract/payloads.ts';

export interface BoardRow {
  board: string;
  state: 'online' | 'offline' | 'unknown';
  version?: string;
  powerW?: number;
  energyJ?: number;
  uptimeS?: number;
  cpu?: number;
  memBytes?: number;
  guests?: { running: number; ready?: number; failed: number; runtime?: string };
  lastTelemetryAt?: number;
}

export interface Rejected {
  topic: string;
  reason: string;
}

export function createBoardView(desk: string) {
  const status = new Map<string, Status>();
  const telemetry = new Map<string, Telemetry>();
  const rejected: Rejected[] = [];
  const live = new Set<string>();

  return {
    rejected,
    /**
     * Folds one message in; returns whether it changed the picture. `retained` is the packet's
     * retain flag: the broker reads retained copies from its store while live messages keep
     * flowing, so a retained copy can arrive after a newer live message on the same topic and
     * must not overwrite it.
     */
    apply(topic: string, payload: Buffer, retained = false): boolean {
      const t = parseBoardTopic(topic);
      if (!t || t.desk !== desk || (t.channel !== 'status' && t.channel !== 'telemetry')) return false;
      if (retained && live.has(topic)) return false;
      if (!retained) live.add(topic);
      if (payload.length === 0) {
        // An empty retained message clears the board from the broker.
        return status.delete(t.board) || telemetry.delete(t.board);
      }
      const d = decode(t.channel, payload);
      if (!d.ok) {
        rejected.push({ topic, reason: d.reason });
        return false;
      }
      if (t.channel === 'status') status.set(t.board, d.value as Status);
      else telemetry.set(t.board, d.value as Telemetry);
      return true;
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
        const online = s?.state === 'online';
        return {
          board,
          state: s ? s.state : 'unknown',
          version: online ? s.version : undefined,
          powerW: online ? tm?.powerW : undefined,
          energyJ: tm?.energyJ,
          uptimeS: online ? (tm && tm.at > 0 ? tm.uptimeS : s.uptimeS) : undefined,
          cpu: online ? tm?.cpu : undefined,
          memBytes: online ? tm?.memBytes : undefined,
          guests: online ? tm?.guests : undefined,
          lastTelemetryAt: tm?.at,
        };
      });
    },
  };
}

export type BoardView = ReturnType<typeof createBoardView>;
