/**
 * What the desk learns about a board's health, as plain data: each piece carries the desk's
 * time it was learnt (`at`, ms) and enough to explain a transition to a person.
 */
export type Evidence =
  /** The board's self-check result (its retained `health` topic); `failed`: the checks that failed. */
  | { kind: 'check'; at: number; ok: boolean; failed: string[] }
  /** No telemetry for `forMs` while the board should be on. */
  | { kind: 'silent'; at: number; forMs: number }
  /** The agent started again within one power-on (a crash its service manager restarted). */
  | { kind: 'agent-restart'; at: number }
  /** The board went away without a goodbye (its last will): a crash, a reset, power lost. */
  | { kind: 'vanished'; at: number }
  /** A trial boot of a new slot fell back to the old one. */
  | { kind: 'trial-boot-failed'; at: number; slot: string }
  /** Guest launches since the last such evidence. */
  | { kind: 'guests'; at: number; launched: number; failed: number }
  /** The desk started recovering the board with these steps. */
  | { kind: 'recovery-started'; at: number; steps: string[] }
  /** The desk finished a recovery attempt: `ok` once the board is back and answering. */
  | { kind: 'recovery'; at: number; ok: boolean; steps: string[]; reason: string }
  /** A person's decision (`deskbox health recover|admit|retire`). */
  | { kind: 'operator'; at: number; action: 'recover' | 'admit' | 'retire'; by: string };

/** Where evidence turns into quarantine, re-admission and retirement: the desk config's `health`. */
export interface HealthThresholds {
  /** Failed self-checks in a row. */
  failedChecks: number;
  /** Agent restarts and vanishings (crashes) within the window. */
  agentRestarts: number;
  /** Failed trial boots within the window. */
  failedTrialBoots: number;
  /** Telemetry silence (board powered on). */
  silentMs: number;
  /** Guest failure share within the window, judged once this many launched. */
  guestFailureRate: number;
  guestLaunchesToJudge: number;
  windowMs: number;
  /** Passing checks in a row after a recovery to re-admit. */
  passesToAdmit: number;
  /** Failed recoveries before the board is retired. */
  recoveriesToRetire: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = {
  failedChecks: 2,
  agentRestarts: 3,
  failedTrialBoots: 2,
  silentMs: 60_000,
  guestFailureRate: 0.5,
  guestLaunchesToJudge: 4,
  windowMs: 10 * 60_000,
  passesToAdmit: 3,
  recoveriesToRetire: 3,
};

/** One line for a piece of evidence, for transitions and `health history`. */
export function describeEvidence(e: Evidence): string {
  switch (e.kind) {
    case 'check': return e.ok ? 'self-check passed' : `self-check failed: ${e.failed.join(', ')}`;
    case 'silent': return `no telemetry for ${Math.round(e.forMs / 1000)} s`;
    case 'agent-restart': return 'agent restarted';
    case 'vanished': return 'went offline without a goodbye (last will)';
    case 'trial-boot-failed': return `trial boot of slot ${e.slot} failed`;
    case 'guests': return `${e.failed} of ${e.launched} guest launches failed`;
    case 'recovery-started': return `recovery started: ${e.steps.join(', ')}`;
    case 'recovery': return `recovery ${e.ok ? 'succeeded' : 'failed'} (${e.steps.join(', ')}): ${e.reason}`;
    case 'operator': return `${e.by}: ${e.action}`;
  }
}
