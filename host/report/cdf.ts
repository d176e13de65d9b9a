/**
 * Cumulative distributions of guest boot times: the share of boots done within x ms. A CDF
 * shows the whole spread (tail included) where a few percentiles only sample it.
 */
import { percentile, sortNumbers } from '../analysis/percentiles.ts';
import type { Point } from './downsample.ts';
import { formatNumber } from './format.ts';
import { type Series, linePlot } from './svg-plot.ts';

/**
 * The empirical CDF as a staircase while small; past `maxPoints` it is sampled at evenly
 * spaced fractions instead, which keeps its shape at any count of boots.
 */
export function cdfPoints(values: readonly number[], maxPoints = 500): Point[] {
  const sorted = sortNumbers(values.filter(Number.isFinite));
  const n = sorted.length;
  if (n === 0) return [];
  if (2 * n + 1 <= maxPoints) {
    const steps: Point[] = [[sorted[0]!, 0]];
    sorted.forEach((v, i) => steps.push([v, i / n], [v, (i + 1) / n]));
    return steps;
  }
  const k = Math.max(2, maxPoints);
  return Array.from({ length: k }, (_, j): Point => [percentile(sorted, (100 * j) / (k - 1)), j / (k - 1)]);
}

/** A CDF from percentiles 0..100 as summary.json keeps them. */
export function cdfFromQuantiles(q: readonly number[]): Point[] {
  return q.length < 2 ? [] : q.map((v, i): Point => [v, i / (q.length - 1)]);
}

export interface CdfPlotSpec {
  id: string;
  title: string;
  /** Emphasised curves (the whole desk, or the runs being compared). */
  curves: readonly { name: string; points: readonly Point[] }[];
  /** One light curve per board. */
  perBoard?: ReadonlyMap<string, readonly number[]>;
}

export function cdfPlot(spec: CdfPlotSpec): string {
  const board: Series[] = [...(spec.perBoard ?? new Map<string, readonly number[]>())]
    .map(([name, values]) => ({ name, points: cdfPoints(values, 120), emphasis: 'light' as const }))
    .filter((s) => s.points.length > 0);
  const strong: Series[] = spec.curves.map((c, i) => ({ name: c.name, points: c.points, emphasis: spec.curves.length === 1 ? 'bold' : 'normal', colour: i }));
  const all = [...board, ...strong];
  const xMax = all.reduce((m, s) => s.points.reduce((mm, p) => Math.max(mm, p[0]), m), 1);
  const medians = spec.curves.map((c) => `${c.name}: median ${formatNumber(c.points.find((p) => p[1] >= 0.5)?.[0])} ms`);
  return linePlot({
    id: spec.id,
    title: spec.title,
    description: `Cumulative share of guest boots (y, 0 to 100 %) completed within a boot time (x, ms). ${medians.join('; ')}.`
      + (board.length ? ` ${board.length} light curves, one per board.` : ''),
    xLabel: 'guest boot time (ms)',
    yLabel: 'guests booted within (%)',
    series: all,
    x: [0, xMax],
    y: [0, 1],
    yFormat: (v) => `${Math.round(v * 100)}`,
    lightLabel: `each board (${board.length})`,
  });
}
