/**
 * Where a board's samples stop being a series: a gap is a step between consecutive samples
 * longer than GAP_FACTOR times the median step. Boards report on a fixed period with jitter
 * (a late message makes one step up to about twice the period); a board that reboots or drops
 * off the network is silent for many periods (a reboot: about 10 s at a 1 s period). Lines are
 * not drawn across a gap, and no energy, mean or peak is taken from it: nothing was measured there.
 */
export const GAP_FACTOR = 3;

/** Median of the positive steps between consecutive (sorted) positions; 0 when there are none. */
export function medianStep(xs: readonly number[]): number {
  const steps: number[] = [];
  for (let i = 1; i < xs.length; i++) {
    const d = xs[i]! - xs[i - 1]!;
    if (d > 0) steps.push(d);
  }
  steps.sort((a, b) => a - b);
  return steps.length ? steps[steps.length >> 1]! : 0;
}

/** Runs of items (sorted by `pos`) with no gap inside; a lone sample between two gaps is a run of one. */
export function splitRuns<T>(items: readonly T[], pos: (item: T) => number, factor = GAP_FACTOR): T[][] {
  if (items.length === 0) return [];
  const limit = medianStep(items.map(pos)) * factor;
  const runs: T[][] = [[items[0]!]];
  for (let i = 1; i < items.length; i++) {
    if (limit > 0 && pos(items[i]!) - pos(items[i - 1]!) > limit) runs.push([]);
    runs[runs.length - 1]!.push(items[i]!);
  }
  return runs;
}
