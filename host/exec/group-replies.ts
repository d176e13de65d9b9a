/**
 * What `deskbox exec` shows of hundreds of replies: identical results once, with the targets
 * (boards, or guests) that gave them, and every target that did not succeed by name.
 */
import type { ExecResult } from '../../broker/contract/commands/exec.ts';

/** One target's outcome: its result, or why there is none (an error reply, no reply at all). */
export type ExecOutcome =
  | { target: string; result: ExecResult }
  | { target: string; failure: string };

/** Targets that gave the same result; timings differ between them and are left out. */
export interface ReplyGroup {
  targets: string[];
  result: Omit<ExecResult, 'elapsedMs'>;
}

export interface TargetFailure {
  target: string;
  reason: string;
}

export interface GroupedReplies {
  /** Largest first; targets in the order given (desk order). */
  groups: ReplyGroup[];
  /** Every target that did not exit 0 in time, in the order given. */
  failed: TargetFailure[];
  total: number;
}

export function succeeded(r: ExecResult): boolean {
  return r.exitCode === 0 && !r.timedOut && r.error === undefined;
}

/** `exit 0`, `exit 2`, `killed by SIGSEGV`, `timed out after 10 s`, `could not run: ...`. */
export function describeResult(r: Pick<ExecResult, 'exitCode' | 'signal' | 'timedOut' | 'error'> & { elapsedMs?: number }): string {
  if (r.error !== undefined) return `could not run: ${r.error}`;
  if (r.timedOut) return r.elapsedMs === undefined ? 'timed out' : `timed out after ${Math.round(r.elapsedMs / 100) / 10} s`;
  if (r.signal !== null) return `killed by ${r.signal}`;
  return `exit ${r.exitCode}`;
}

export function groupReplies(outcomes: readonly ExecOutcome[]): GroupedReplies {
  const byKey = new Map<string, ReplyGroup>();
  const failed: TargetFailure[] = [];
  for (const o of outcomes) {
    if ('failure' in o) {
      failed.push({ target: o.target, reason: o.failure });
      continue;
    }
    const { elapsedMs, ...result } = o.result;
    const key = JSON.stringify([result.exitCode, result.signal, result.stdout, result.stderr, result.timedOut, result.truncated, result.error]);
    const group = byKey.get(key);
    if (group) group.targets.push(o.target);
    else byKey.set(key, { targets: [o.target], result });
    if (!succeeded(o.result)) failed.push({ target: o.target, reason: describeResult({ ...result, elapsedMs }) });
  }
  // Map order is first-seen order, and sort is stable: equal sizes stay in desk order.
  const groups = [...byKey.values()].sort((a, b) => b.targets.length - a.targets.length);
  return { groups, failed, total: outcomes.length };
}
