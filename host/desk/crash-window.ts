/**
 * When a process that keeps crashing should stop being restarted: `limit` crashes within
 * `windowMs`. Pure (times come from the caller), so the policy is tested without processes.
 */
export interface CrashWindow {
  /** Counts a crash at `at` (ms); true when this one reaches the limit. */
  record(at: number): boolean;
}

export class CrashLimitError extends Error {
  constructor(readonly what: string, readonly crashes: number, readonly windowMs: number, readonly last: string) {
    super(`${what} crashed ${crashes} times within ${windowMs / 1000} s (last: ${last})`);
    this.name = 'CrashLimitError';
  }
}

export function createCrashWindow(limit: number, windowMs: number): CrashWindow {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`crash limit must be an integer >= 1, got ${limit}`);
  const times: number[] = [];
  return {
    record(at) {
      times.push(at);
      while (times[0]! <= at - windowMs) times.shift();
      return times.length >= limit;
    },
  };
}
