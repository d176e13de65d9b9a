/**
 * Virtual time for protocol tests: timers fire only when `run` finds the process idle (no
 * microtasks, no pending file system request), in time order, so a three-minute transfer at
 * 115200 baud takes a second of CPU and runs the same way every time. A run whose work is
 * unfinished while no timer is left has hung: `run` says so instead of waiting for ever.
 */
import { createHook, type AsyncHook } from 'node:async_hooks';
import type { Clock, TimerHandle } from '../../../platform/clock.ts';

export interface SimClock extends Clock {
  /** `work`'s outcome, advancing virtual time whenever nothing else can happen; throws on a hang or past `limitMs` of virtual time. */
  run<T>(work: Promise<T>, opts?: { limitMs?: number }): Promise<T>;
  /** Timers not yet fired. */
  readonly pending: number;
  dispose(): void;
}

/** Thread-pool requests whose completion wakes the process; timers and immediates are ours or idle-checked. */
const IO_TYPES = new Set(['FSREQCALLBACK', 'FSREQPROMISE', 'FILEHANDLECLOSEREQ']);

export function simClock(startEpochMs = Date.UTC(2026, 0, 1)): SimClock {
  let mono = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const inFlightIo = new Set<number>();
  const hook: AsyncHook = createHook({
    init(id, type) { if (IO_TYPES.has(type)) inFlightIo.add(id); },
    before(id) { inFlightIo.delete(id); },
    destroy(id) { inFlightIo.delete(id); },
  }).enable();

  const idle = async () => {
    for (let calm = 0; calm < 2;) {
      await new Promise<void>((r) => setImmediate(r));
      calm = inFlightIo.size === 0 ? calm + 1 : 0;
    }
  };

  return {
    now: () => startEpochMs + mono,
    monotonic: () => mono,
    setTimeout(fn, ms): TimerHandle {
      const id = nextId++;
      timers.set(id, { at: mono + Math.max(0, ms), fn });
      return { id };
    },
    clearTimeout(h) { timers.delete(h.id); },
    get pending() { return timers.size; },
    async run<T>(work: Promise<T>, opts: { limitMs?: number } = {}): Promise<T> {
      const limit = mono + (opts.limitMs ?? 3_600_000);
      let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
      work.then((value) => { outcome = { ok: true, value }; }, (error: unknown) => { outcome = { ok: false, error }; });
      for (;;) {
        await idle();
        if (outcome) {
          if (outcome.ok) return outcome.value;
          throw outcome.error;
        }
        let due: [number, { at: number; fn: () => void }] | undefined;
        // Ties fire in the order they were set (ids grow), as real timers do.
        for (const e of timers) if (!due || e[1].at < due[1].at) due = e;
        if (!due) throw new Error(`hung at ${mono} ms of virtual time: the work is unfinished and no timer is left`);
        if (due[1].at > limit) throw new Error(`still running after ${opts.limitMs ?? 3_600_000} ms of virtual time`);
        timers.delete(due[0]);
        mono = Math.max(mono, due[1].at);
        due[1].fn();
      }
    },
    dispose() {
      hook.disable();
      timers.clear();
    },
  };
}
