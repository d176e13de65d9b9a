/**
 * Time as a dependency. Components that measure durations or schedule work take a Clock so
 * tests can drive time by hand instead of waiting for it.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (timestamps that leave the process). */
  now(): number;
  /** Monotonic milliseconds (durations, integration); never goes back. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

export function systemClock(): Clock {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    setTimeout(fn, ms) {
      const id = next++;
      timers.set(id, setTimeout(() => { timers.delete(id); fn(); }, ms));
      return { id };
    },
    clearTimeout(h) {
      const t = timers.get(h.id);
      if (t) clearTimeout(t);
      timers.delete(h.id);
    },
  };
}

/** A clock that moves only when told to; `advance` fires due timers in order. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function manualClock(startEpochMs = Date.UTC(2026, 0, 1)): ManualClock {
  let mono = 0;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: ManualClock = {
    now: () => startEpochMs + mono,
    monotonic: () => mono,
    setTimeout(fn, ms) {
      const id = next++;
      timers.set(id, { at: mono + Math.max(0, ms), fn });
      return { id };
    },
    clearTimeout(h) { timers.delete(h.id); },
    advance(ms) {
      const end = mono + ms;
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined;
        for (const e of timers) if (e[1].at <= end && (!due || e[1].at < due[1].at)) due = e;
        if (!due) break;
        timers.delete(due[0]);
        mono = due[1].at;
        due[1].fn();
      }
      mono = end;
    },
  };
  return clock;
}
