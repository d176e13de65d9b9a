/**
 * A host session's waits (for READY, PLAN, DONE's ACK, RESULT) all race one promise that
 * rejects with the session's first failure, whichever bound trips it, so every wait ends the
 * same way and later failures (a timer firing during the cleanup) cannot replace the cause.
 */
export class FirstFailure {
  error: Error | undefined;
  private reject!: (e: Error) => void;
  private readonly failed = new Promise<never>((_, reject) => { this.reject = reject; });

  constructor() {
    // Nobody may be waiting when it fails (between two waits): that is not unhandled.
    this.failed.catch(() => undefined);
  }

  /** `p`'s outcome, unless the session fails first. */
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.failed]);
  }

  /** Records `e` when it is the first; false when another came before. */
  set(e: Error): boolean {
    if (this.error) return false;
    this.error = e;
    this.reject(e);
    return true;
  }
}

/** A promise and the function that resolves it, for answers that arrive as messages. */
export function deferred<T>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  return { promise: new Promise<T>((r) => { resolve = r; }), resolve };
}
