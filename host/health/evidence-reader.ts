/**
 * Turns what boards say on the broker into health evidence (evidence.ts), per board:
 * - a `health` report: a check, with the names of the checks that failed;
 * - an online status whose agent started again within the same power-on: an agent restart
 *   (a reboot or power cycle brings a new power-on, which is no evidence);
 * - a last will (offline without a goodbye) from a board that was online: it vanished;
 * - an online status from another slot than a successful flash reset into: a failed trial boot;
 * - a `guests` event: launches and failures;
 * - and, asked with the time (silences), boards that owe telemetry and sent none for too long.
 * Pure apart from its per-board memory; times are the desk's clock (`at` given by the caller).
 */
import type { HealthReport } from '../../broker/contract/health.ts';
import type { BoardEvent, Status, Telemetry } from '../../broker/contract/payloads.ts';
import type { Evidence } from './evidence.ts';

interface BoardMemory {
  bootedAt?: number;
  agentStartAt?: number;
  /** The slot a flash reset the board into, until the board comes back. */
  flashedSlot?: 'a' | 'b';
  /** Online, or gone without saying so (its last will): telemetry is due either way. */
  due: boolean;
  /** Its last status said online. */
  online: boolean;
  lastTelemetryAt?: number;
  /** A silence already reported since the last sample. */
  silenceReported: boolean;
}

export function createEvidenceReader() {
  const boards = new Map<string, BoardMemory>();
  const memory = (board: string) => {
    let m = boards.get(board);
    if (!m) boards.set(board, (m = { due: false, online: false, silenceReported: false }));
    return m;
  };

  return {
    health(report: HealthReport, at: number): Evidence[] {
      return [{ kind: 'check', at, ok: report.ok, failed: report.checks.filter((c) => !c.ok).map((c) => c.name) }];
    },

    status(status: Status, at: number): Evidence[] {
      const m = memory(status.board);
      if (status.state === 'offline') {
        // An agent that stopped cleanly owes nothing; one that vanished does, and its going is evidence
        // (unless the desk switched it off: the caller knows).
        const wasOnline = m.online;
        m.online = false;
        m.due = status.reason === 'lastwill';
        return m.due && wasOnline ? [{ kind: 'vanished', at }] : [];
      }
      const out: Evidence[] = [];
      const agentStart = status.phases.find((p) => p.phase === 'agent-start')?.at;
      if (m.bootedAt === status.bootedAt && agentStart !== undefined && m.agentStartAt !== undefined && agentStart > m.agentStartAt) out.push({ kind: 'agent-restart', at });
      if (m.flashedSlot && status.image && status.image.slot !== m.flashedSlot) out.push({ kind: 'trial-boot-failed', at, slot: m.flashedSlot });
      if (status.image) m.flashedSlot = undefined;
      m.bootedAt = status.bootedAt;
      m.agentStartAt = agentStart;
      if (!m.due) m.lastTelemetryAt = at; // silence counts from coming online
      m.due = true;
      m.online = true;
      return out;
    },

    telemetry(sample: Telemetry, at: number): Evidence[] {
      const m = memory(sample.board);
      m.lastTelemetryAt = at;
      m.silenceReported = false;
      return [];
    },

    event(event: BoardEvent, at: number): Evidence[] {
      if (event.type === 'flash' && event.state === 'end' && event.ok && event.slot) memory(event.board).flashedSlot = event.slot;
      if (event.type !== 'guests' || event.booted.length + event.failed.length === 0) return [];
      return [{ kind: 'guests', at, launched: event.booted.length + event.failed.length, failed: event.failed.length }];
    },

    /**
     * Boards owing telemetry that sent none for more than `afterMs`: once per silence.
     * `switchedOff`: boards the desk powered off, which owe nothing.
     */
    silences(at: number, afterMs: number, switchedOff: (board: string) => boolean = () => false): Map<string, Evidence[]> {
      const out = new Map<string, Evidence[]>();
      for (const [board, m] of boards) {
        if (!m.due || switchedOff(board) || m.silenceReported || m.lastTelemetryAt === undefined || at - m.lastTelemetryAt < afterMs) continue;
        m.silenceReported = true;
        out.set(board, [{ kind: 'silent', at, forMs: at - m.lastTelemetryAt }]);
      }
      return out;
    },
  };
}
