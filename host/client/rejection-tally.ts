/**
 * What a view refused, kept small: a count per reason and the latest few rejections. A board
 * sending garbage for weeks must cost a long-running view (monitor, metrics, the dashboard)
 * counters, not memory.
 */
import { REJECT_REASONS, type RejectReason, type Rejection } from './board-fold.ts';

/** How many of the latest rejections are kept, for `boards --json` and the dashboard's tooltip. */
export const RECENT_REJECTIONS = 20;

export interface RejectionSummary {
  total: number;
  /** Every reason, 0 included, so a script can read any of them. */
  byReason: Record<RejectReason, number>;
  /** The latest first. */
  recent: Rejection[];
}

export function createRejectionTally() {
  const byReason = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  let recent: Rejection[] = [];
  let total = 0;
  return {
    add(rejection: Rejection): void {
      total++;
      byReason[rejection.reason]++;
      recent = [rejection, ...recent.slice(0, RECENT_REJECTIONS - 1)];
    },
    summary(): RejectionSummary {
      return { total, byReason: { ...byReason }, recent: [...recent] };
    },
  };
}

export type RejectionTally = ReturnType<typeof createRejectionTally>;
