/**
 * Calls into a FlashTarget one after another: the receiver decides fast (per frame), the
 * storage works slowly, and the target must never see abandon() overtake a writeBlock() still
 * in progress, or two writes at once.
 */
export class TargetQueue {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` after everything queued before it, whatever their outcome. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Settles once everything queued so far has. */
  drained(): Promise<void> {
    return this.tail;
  }
}
