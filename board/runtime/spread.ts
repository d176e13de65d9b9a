/**
 * Where in its period a board runs a desk-wide schedule: hundreds of boards on one cron
 * expression would otherwise all re-read their slots and launch a probe guest in the same
 * second, and the desk hear every report at once. The offset depends on the board's id only,
 * so it is stable across restarts and the desk can tell when a board's run is due.
 */
import { createHash } from 'node:crypto';

/** A fixed offset in [0, periodMs) for `key` (a board id), spread evenly over ids. */
export function spreadOffsetMs(key: string, periodMs: number): number {
  if (!(periodMs > 1)) return 0;
  // 48 bits of the hash: exact in a double, and far more values than any period has milliseconds.
  return createHash('sha256').update(key).digest().readUIntBE(0, 6) % Math.floor(periodMs);
}

/** How far ahead the next firing is looked for: a daily schedule is spread over an hour. */
export const MAX_SPREAD_PERIOD_MS = 3600_000;

/**
 * The time from a firing at `atMs` to the schedule's next, looking `stepMs` at a time (a second
 * for 6-field cron expressions, a minute for 5-field ones), at most MAX_SPREAD_PERIOD_MS.
 */
export function periodAtMs(matches: (ms: number) => boolean, atMs: number, stepMs: number): number {
  let next = atMs + stepMs;
  while (next - atMs < MAX_SPREAD_PERIOD_MS && !matches(next)) next += stepMs;
  return Math.min(next - atMs, MAX_SPREAD_PERIOD_MS);
}
