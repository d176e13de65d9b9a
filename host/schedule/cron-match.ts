/**
 * Cron expressions for the desk's schedules: node-cron parses and matches them; time is the
 * caller's. `occurrences` lists the instants an expression matched between two times, to
 * tell which runs a stopped desk missed (5-field expressions are scanned a minute at a time,
 * 6-field ones a second at a time), bounded so a long downtime cannot stall the desk.
 */
import { createTask, validateDetailed } from 'node-cron';

export class CronError extends Error {
  constructor(readonly expression: string, detail: string) {
    super(`invalid cron expression "${expression}": ${detail}`);
    this.name = 'CronError';
  }
}

export interface CronMatcher {
  /** Whether the expression fires in the second (or minute, for 5 fields) starting at `ms`. */
  matches(ms: number): boolean;
  /** Seconds (6 fields) or minutes (5). */
  stepMs: number;
  dispose(): void;
}

export function cronMatcher(expression: string, timezone?: string): CronMatcher {
  const check = validateDetailed(expression);
  if (!check.valid) throw new CronError(expression, check.errors.map((e) => e.message).join('; '));
  // createTask gives the matcher without starting node-cron's own clock.
  const task = createTask(expression, () => undefined, timezone ? { timezone } : {});
  const stepMs = expression.trim().split(/\s+/).length === 6 ? 1000 : 60_000;
  return { matches: (ms) => task.match(new Date(ms)), stepMs, dispose: () => void task.destroy() };
}

/** Instants in (fromMs, toMs] the expression fired, oldest first, at most `limit` (the newest kept). */
export function occurrences(m: CronMatcher, fromMs: number, toMs: number, limit = 1000): number[] {
  const found: number[] = [];
  const maxSteps = 7 * 24 * 60 * 60; // a week of seconds, or 420 days of minutes
  let t = Math.floor(fromMs / m.stepMs) * m.stepMs + m.stepMs;
  for (let steps = 0; t <= toMs && steps < maxSteps; t += m.stepMs, steps++) {
    if (m.matches(t)) found.push(t);
    if (found.length > limit) found.shift();
  }
  return found;
}
