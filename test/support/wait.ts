/**
 * The one way tests and benches wait: poll a condition (sync or async) until it holds or time
 * runs out. Wait on the fact itself (a retained status, a log line, a file, a counter), never
 * on a sleep that hopes the fact has happened by then.
 *
 *   await waitFor(() => statuses.get('b03')?.state === 'offline', { timeoutMs: 6000, what: 'b03 offline' });
 *   const pid = await waitFor(() => /started (\d+)/.exec(out)?.[1], { deadline, what: 'the guest pid' });
 *
 * (host/desk/wait.ts is the product's own poller, for the CLI; tests do not use it.)
 */

export interface WaitOptions {
  /** Give up this long after the call... */
  timeoutMs?: number;
  /** ...or at this Date.now() instant (one of the two). */
  deadline?: number;
  /** Names what was awaited in the error; a function is called only on timeout (to say what was seen). */
  what: string | (() => string);
  /** Longest pause between polls (default 50 ms); the first pauses are shorter (5, 10, 20 ms...), so a quick fact is seen quickly. */
  pollMs?: number;
}

export class WaitTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`timed out after ${ms} ms waiting for ${what}`);
    this.name = 'WaitTimeoutError';
  }
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Resolves with the condition's first truthy value; rejects with a WaitTimeoutError once past the deadline. */
export async function waitFor<T>(condition: () => T | Promise<T>, opts: WaitOptions): Promise<Truthy<T>> {
  const start = Date.now();
  if ((opts.timeoutMs === undefined) === (opts.deadline === undefined)) throw new Error('waitFor: give timeoutMs or deadline (one of them)');
  const deadline = opts.deadline ?? start + opts.timeoutMs!;
  const pollMs = opts.pollMs ?? 50;
  for (let pause = Math.min(5, pollMs); ; pause = Math.min(pause * 2, pollMs)) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeoutError(typeof opts.what === 'function' ? opts.what() : opts.what, Date.now() - start);
    await new Promise((r) => setTimeout(r, Math.min(pause, left)));
  }
}
