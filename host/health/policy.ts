/**
 * The desk's verdict on each board, from evidence: a pure function of the board's health so far
 * and one new piece of evidence, giving its next health, the transition (with the evidence that
 * caused it) and what the desk must do (start a recovery). The service around it (service.ts)
 * feeds it what the broker says and carries out the actions; tests feed it by hand.
 *
 *   healthy -> suspect       one failed self-check, a silence, an agent restart, a failed trial boot
 *   suspect -> healthy       a passing self-check
 *   suspect -> quarantined   repeated failures of one kind (thresholds below)
 *   quarantined -> recovering   the desk started its recovery (power cycle, reflash, re-check)
 *   recovering -> healthy    `passesToAdmit` passing checks in a row after the recovery
 *   recovering -> quarantined   a failed check or a failed recovery; after `recoveriesToRetire`
 *                            failed recoveries: retired, with the reason
 *   any -> quarantined / healthy / retired   by hand (`deskbox health recover|admit|retire`)
 */
import { describeEvidence, type Evidence, type HealthThresholds } from './evidence.ts';

import { VERDICT_STATES, type VerdictState } from '../../broker/contract/health.ts';

/** The states are the wire's (a verdict carries them). */
export const HEALTH_STATES = VERDICT_STATES;
export type HealthState = VerdictState;

export interface BoardHealth {
  state: HealthState;
  /** When it entered this state (desk clock, ms). */
  since: number;
  /** Why it is in this state, in a line. */
  reason: string;
  /** Evidence since the board was last healthy: what a transition carries. */
  evidence: Evidence[];
  /** Failed recoveries since it was last healthy. */
  failedRecoveries: number;
  /** Passing checks in a row since its recovery. */
  passes: number;
}

export interface Transition {
  board: string;
  from: HealthState;
  to: HealthState;
  at: number;
  reason: string;
  evidence: Evidence[];
}

export interface Verdict {
  health: BoardHealth;
  transition?: Transition;
  /** The desk must start recovering the board now. */
  recover?: boolean;
}

export const initialHealth = (at: number): BoardHealth => ({ state: 'healthy', since: at, reason: 'no evidence yet', evidence: [], failedRecoveries: 0, passes: 0 });

/** Evidence of one kind within the window, newest last. */
const recent = (evidence: Evidence[], kind: Evidence['kind'], at: number, windowMs: number) =>
  evidence.filter((e) => e.kind === kind && e.at > at - windowMs);

/** Why the evidence so far warrants quarantine, or undefined. */
export function quarantineReason(evidence: Evidence[], at: number, t: HealthThresholds): string | undefined {
  const w = t.windowMs;
  let failedInRow = 0;
  for (const e of evidence.filter((x) => x.kind === 'check').reverse()) {
    if (e.kind !== 'check' || e.ok) break;
    failedInRow++;
  }
  if (failedInRow >= t.failedChecks) return `${failedInRow} failed self-checks in a row`;
  const restarts = recent(evidence, 'agent-restart', at, w).length + recent(evidence, 'vanished', at, w).length;
  if (restarts >= t.agentRestarts) return `crashed or restarted ${restarts} times within ${w / 60_000} min`;
  const trials = recent(evidence, 'trial-boot-failed', at, w).length;
  if (trials >= t.failedTrialBoots) return `${trials} failed trial boots within ${w / 60_000} min`;
  const silent = evidence.filter((e) => e.kind === 'silent').at(-1);
  if (silent && silent.kind === 'silent' && silent.forMs >= t.silentMs) return `no telemetry for ${Math.round(silent.forMs / 1000)} s`;
  const guests = recent(evidence, 'guests', at, w).reduce((sum, e) => (e.kind === 'guests' ? { launched: sum.launched + e.launched, failed: sum.failed + e.failed } : sum), { launched: 0, failed: 0 });
  if (guests.launched >= t.guestLaunchesToJudge && guests.failed / guests.launched >= t.guestFailureRate) {
    return `${guests.failed} of ${guests.launched} guest launches failed`;
  }
  return undefined;
}

/** A recovery started and not yet finished, as the evidence tells. */
const recoveryUnderway = (evidence: Evidence[]) => evidence.filter((e) => e.kind === 'recovery-started' || e.kind === 'recovery').at(-1)?.kind === 'recovery-started';

/** Evidence that speaks against the board (a passing check or a clean guest count does not). */
const isBad = (e: Evidence) =>
  (e.kind === 'check' && !e.ok) || e.kind === 'silent' || e.kind === 'agent-restart' || e.kind === 'vanished' || e.kind === 'trial-boot-failed' || (e.kind === 'guests' && e.failed > 0);

/**
 * Keeps the evidence a verdict may need: the window's, and the last few self-checks however old
 * (checks run every 10 minutes by default, so "in a row" cannot be held to the window), never
 * more than MAX_EVIDENCE pieces.
 */
const MAX_EVIDENCE = 200;
const trim = (evidence: Evidence[], at: number, t: HealthThresholds) => {
  const checks: Evidence[] = evidence.filter((e) => e.kind === 'check').slice(-t.failedChecks);
  return evidence.filter((e) => e.at > at - t.windowMs || checks.includes(e)).slice(-MAX_EVIDENCE);
};

export function decide(board: string, h: BoardHealth, ev: Evidence, t: HealthThresholds): Verdict {
  const at = ev.at;
  const evidence = trim([...h.evidence, ev], at, t);
  const move = (to: HealthState, reason: string, extra: Partial<BoardHealth> = {}, recover = false): Verdict => ({
    health: { ...h, state: to, since: at, reason, evidence, ...extra },
    transition: { board, from: h.state, to, at, reason, evidence },
    ...(recover ? { recover } : {}),
  });
  const stay = (extra: Partial<BoardHealth> = {}): Verdict => ({ health: { ...h, evidence, ...extra } });
  /** A failed recovery (or a failed check after one): try again, or give up on the board. */
  const failedRecovery = (why: string): Verdict => {
    const failedRecoveries = h.failedRecoveries + 1;
    if (failedRecoveries >= t.recoveriesToRetire) return move('retired', `${failedRecoveries} recoveries failed; last: ${why}`, { failedRecoveries, passes: 0 });
    return move('quarantined', `recovery ${failedRecoveries} of ${t.recoveriesToRetire} failed: ${why}`, { failedRecoveries, passes: 0 }, true);
  };

  if (ev.kind === 'operator') {
    if (ev.action === 'admit') return move('healthy', `admitted by ${ev.by}`, { failedRecoveries: 0, passes: 0, evidence: [] });
    if (ev.action === 'retire') return move('retired', `retired by ${ev.by}`, { passes: 0 });
    return move('quarantined', `recovery asked for by ${ev.by}`, { passes: 0 }, true);
  }
  switch (h.state) {
    case 'retired':
      return { health: h };
    case 'quarantined':
      return ev.kind === 'recovery-started' ? move('recovering', describeEvidence(ev), { passes: 0 }) : stay();
    case 'recovering':
      if (ev.kind === 'recovery') return ev.ok ? stay({ reason: `${describeEvidence(ev)}; waiting for ${t.passesToAdmit} passing checks` }) : failedRecovery(ev.reason);
      // A rebooting board is silent and restarts: expected. A report that comes before the
      // recovery's outcome was made before or between its steps (which check the board
      // themselves): counting it would quarantine the board again under a running recovery,
      // whose outcome a quarantined board then ignores, and nothing would recover it.
      if (ev.kind !== 'check' || recoveryUnderway(h.evidence)) return stay();
      if (!ev.ok) return failedRecovery(describeEvidence(ev));
      // A recovered board starts with a clean sheet; what it did before the recovery is history.
      if (h.passes + 1 >= t.passesToAdmit) return move('healthy', `re-admitted after ${h.passes + 1} passing checks`, { failedRecoveries: 0, passes: 0, evidence: [] });
      return stay({ passes: h.passes + 1 });
    case 'healthy':
    case 'suspect': {
      if (!isBad(ev)) return h.state === 'suspect' && ev.kind === 'check' ? move('healthy', 'self-check passed') : stay();
      const why = quarantineReason(evidence, at, t);
      if (why) return move('quarantined', why, { passes: 0 }, true);
      return h.state === 'healthy' ? move('suspect', describeEvidence(ev)) : stay();
    }
  }
}
