/**
 * Which of a run's boards still take part. A board that goes offline mid-run (outside the
 * boot phase, where going dark is the point of a power cycle) or misses a phase's deadline is
 * lost: marked with the phase and the reason, and left out of what follows, so one dead board
 * costs the run its share of the figures and nothing else. Waits on a lost board end at once
 * instead of running out their timeouts, and every wait ends when the run is stopped.
 */
/** `setup`: between phases (setting the sampling period, idling). */
export type RunPhase = 'setup' | 'flash' | 'boot' | 'launch' | 'hold' | 'stop';

export interface LostBoard {
  board: string;
  phase: RunPhase;
  reason: string;
  at: number;
}

export class BoardLostError extends Error {
  override readonly name = 'BoardLostError';
  constructor(readonly lost: LostBoard) {
    super(`${lost.board} was lost in the ${lost.phase} phase: ${lost.reason}`);
  }
}

export class RunStoppedError extends Error {
  override readonly name = 'RunStoppedError';
  constructor() {
    super('the run was stopped');
  }
}

export interface Fleet {
  /** The boards still in the run, in the run's order. */
  active(): string[];
  readonly lost: readonly LostBoard[];
  /** Marks a board lost (once); returns whether it was still active. */
  lose(board: string, phase: RunPhase, reason: string): boolean;
  /** `work` for one board, ended early by its loss (BoardLostError) or by `stop` (RunStoppedError). */
  guard<T>(board: string, work: Promise<T>, stop: AbortSignal): Promise<T>;
}

export function createFleet(boards: readonly string[], now: () => number): Fleet {
  const losses = new Map(boards.map((b) => [b, new AbortController()]));
  const lost: LostBoard[] = [];
  return {
    active: () => boards.filter((b) => !losses.get(b)!.signal.aborted),
    lost,
    lose(board, phase, reason) {
      const loss = losses.get(board);
      if (!loss || loss.signal.aborted) return false;
      const entry = { board, phase, reason, at: now() };
      lost.push(entry);
      loss.abort(new BoardLostError(entry));
      return true;
    },
    guard(board, work, stop) {
      const loss = losses.get(board)?.signal;
      if (!loss) return Promise.reject(new Error(`${board} is not one of the run's boards`));
      return new Promise((resolve, reject) => {
        const onLoss = () => { done(); reject(loss.reason as BoardLostError); };
        const onStop = () => { done(); reject(new RunStoppedError()); };
        const done = () => { loss.removeEventListener('abort', onLoss); stop.removeEventListener('abort', onStop); };
        if (loss.aborted) return onLoss();
        if (stop.aborted) return onStop();
        loss.addEventListener('abort', onLoss);
        stop.addEventListener('abort', onStop);
        work.then((v) => { done(); resolve(v); }, (e: unknown) => { done(); reject(e); });
      });
    },
  };
}
