/**
 * Percentiles by linear interpolation between closest ranks: Hyndman & Fan type 7, the
 * definition of Excel PERCENTILE.INC, NumPy's default and R's default. For n sorted values
 * the p-th percentile sits at rank h = (n - 1) * p / 100 (0-based) and interpolates between
 * x[floor(h)] and x[ceil(h)]; so p0 is the minimum, p100 the maximum, p50 the usual median.
 * Chosen because it is what anyone checking the numbers in a spreadsheet or NumPy will get.
 */

export class PercentileError extends Error {
  override readonly name = 'PercentileError';
  constructor(readonly fn: string, detail: string) {
    super(`${fn}: ${detail}`);
  }
}

export interface Stats {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** `sorted` ascending, `p` in [0, 100]. Refuses empty or unsorted input instead of guessing. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!Number.isFinite(p) || p < 0 || p > 100) throw new PercentileError('percentile', `p must be within [0, 100], got ${p}`);
  if (sorted.length === 0) throw new PercentileError('percentile', 'no values');
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i]!;
    if (!Number.isFinite(x)) throw new PercentileError('percentile', `non-finite value ${x} at index ${i}`);
    if (i > 0 && x < sorted[i - 1]!) throw new PercentileError('percentile', `values not sorted ascending at index ${i} (${sorted[i - 1]} then ${x})`);
  }
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return a + (h - lo) * (b - a);
}

export function sortNumbers(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** null for no values, so an empty run reads as "nothing measured" rather than zeros. */
export function summarize(values: readonly number[]): Stats | null {
  if (values.length === 0) return null;
  const sorted = sortNumbers(values);
  const at = (p: number) => percentile(sorted, p);
  const sum = sorted.reduce((s, x) => s + x, 0);
  return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1]!, mean: sum / sorted.length };
}

/** Evenly spaced percentiles 0..100: a compact, serialisable picture of a distribution (CDF). */
export function quantiles(values: readonly number[], steps = 100): number[] {
  if (values.length === 0) return [];
  if (!Number.isInteger(steps) || steps < 1) throw new PercentileError('quantiles', `steps must be a positive integer, got ${steps}`);
  const sorted = sortNumbers(values);
  return Array.from({ length: steps + 1 }, (_, i) => percentile(sorted, (100 * i) / steps));
}
