/** Polls a condition until it holds or a deadline passes: waiting on facts, not on sleeps. */
export class TimeoutError extends Error {
  constructor(what: string) {
    super(`timed out waiting for ${what}`);
    this.name = 'TimeoutError';
  }
}

export async function waitFor(cond: () => Promise<boolean> | boolean, deadline: number, what: string, pollMs = 50): Promise<void> {
  for (;;) {
    if (await cond()) return;
    if (Date.now() >= deadline) throw new TimeoutError(what);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
