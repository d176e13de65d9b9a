/**
 * A session's timers by name, on an injected Clock: restarting one replaces it, and ending
 * the session clears them all, so no callback of a finished session fires into a new one.
 */
import type { Clock, TimerHandle } from '../../platform/clock.ts';

export class NamedTimers<Name extends string> {
  private readonly handles = new Map<Name, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  /** Starts `name` (replacing a running one) to call `fn` in `ms`. */
  set(name: Name, ms: number, fn: () => void): void {
    this.clear(name);
    const handle = this.clock.setTimeout(() => {
      this.handles.delete(name);
      fn();
    }, Math.max(0, ms));
    this.handles.set(name, handle);
  }

  has(name: Name): boolean {
    return this.handles.has(name);
  }

  clear(name: Name): void {
    const h = this.handles.get(name);
    if (h) this.clock.clearTimeout(h);
    this.handles.delete(name);
  }

  clearAll(): void {
    for (const h of this.handles.values()) this.clock.clearTimeout(h);
    this.handles.clear();
  }
}
