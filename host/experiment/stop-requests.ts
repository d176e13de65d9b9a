/**
 * How a person stops a run: the first Ctrl-C (or SIGTERM, as a service manager sends) asks it
 * to stop cleanly, which takes seconds; a second Ctrl-C quits at once, after `quit` has saved
 * what it can in the time it is given.
 */
export interface StopRequests {
  readonly signal: AbortSignal;
  /** Stops listening; call once the run is over. */
  release(): void;
}

export function listenForStop(opts: { onFirst(): void; quit(): Promise<void>; quitWithinMs: number }): StopRequests {
  const abort = new AbortController();
  const quitNow = () => {
    // Whatever `quit` did not finish in time is lost; the process must end now.
    setTimeout(() => process.exit(130), opts.quitWithinMs).unref();
    opts.quit().finally(() => process.exit(130));
  };
  const onSignal = () => {
    if (abort.signal.aborted) return quitNow();
    opts.onFirst();
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
