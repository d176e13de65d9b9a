/**
 * The guest planner: a pure function from what runs (current) and what should run (target)
 * to the steps that close the gap. The supervisor executes the steps; keeping the decision
 * pure makes every case (adoption, restarts, changed specs, strays) a table test.
 */
import type { GUEST_PHASES } from '../../broker/contract/commands/guests.ts';
import type { GuestSpec } from './types.ts';

export type GuestPhase = (typeof GUEST_PHASES)[number];

export interface GuestRecord {
  id: string;
  phase: GuestPhase;
  /** The spec it was started with; absent for a stray adopted from an earlier agent. */
  spec?: GuestSpec;
  restarts: number;
  /** Monotonic ms before which a restart must not happen (backoff). */
  notBefore?: number;
}

export interface RestartPolicy {
  /** `on-failure`: restart guests that exit; `never`: leave them exited. */
  mode: 'on-failure' | 'never';
  maxRestarts: number;
  /** Backoff after the n-th restart: baseMs * 2^n, capped. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export type Step =
  | { op: 'start'; spec: GuestSpec; restart: boolean }
  | { op: 'stop'; id: string; reason: 'not-desired' | 'changed' | 'stray' };

export function backoffMs(policy: RestartPolicy, restarts: number): number {
  return Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** restarts);
}

/** What makes two specs the same guest; a change to any of these means stop and start anew. */
export function sameGuest(a: GuestSpec, b: GuestSpec): boolean {
  return a.image === b.image
    && a.hostname === b.hostname
    && JSON.stringify(a.command) === JSON.stringify(b.command)
    && JSON.stringify(a.env) === JSON.stringify(b.env)
    && JSON.stringify(a.limits) === JSON.stringify(b.limits)
    && a.profile.name === b.profile.name;
}

export function plan(current: ReadonlyMap<string, GuestRecord>, target: readonly GuestSpec[], policy: RestartPolicy, nowMs: number): Step[] {
  const steps: Step[] = [];
  const wanted = new Map(target.map((s) => [s.id, s]));
  for (const rec of current.values()) {
    if (rec.phase === 'stopping') continue;
    const want = wanted.get(rec.id);
    if (!want) {
      // Exited and failed guests are stopped too: the runtime still holds their remains.
      steps.push({ op: 'stop', id: rec.id, reason: rec.spec ? 'not-desired' : 'stray' });
      continue;
    }
    // Usually the very object the guest was started from: skip the deep comparison then,
    // as this runs every second for every guest.
    if (rec.spec && rec.spec !== want && !sameGuest(rec.spec, want)) {
      steps.push({ op: 'stop', id: rec.id, reason: 'changed' });
      continue;
    }
    if (rec.phase === 'exited' && policy.mode === 'on-failure' && rec.restarts < policy.maxRestarts && (rec.notBefore ?? 0) <= nowMs) {
      steps.push({ op: 'start', spec: want, restart: true });
    }
  }
  for (const spec of target) if (!current.has(spec.id)) steps.push({ op: 'start', spec, restart: false });
  return steps;
}
