/**
 * The shape of a plotted line before it is drawn: broken where samples stop arriving, stepped
 * where the values are counts, and cut to the plot area. Each a pure function of points, so
 * the rules are tested on their own and the SVG code only draws.
 */
import { GAP_FACTOR, splitRuns } from '../analysis/gaps.ts';
import type { Point } from './downsample.ts';

/** Runs of points with no gap inside (x sorted): a line is drawn through each run, never across a gap. */
export function splitAtGaps(points: readonly Point[], factor = GAP_FACTOR): Point[][] {
  return splitRuns(points, (p) => p[0], factor);
}

/** A count holds until the next sample changes it: a staircase, never a slope through fractions. */
export function toSteps(points: readonly Point[]): Point[] {
  const out: Point[] = [];
  points.forEach((p, i) => {
    const prev = points[i - 1];
    if (prev && prev[1] !== p[1]) out.push([p[0], prev[1]]);
    out.push(p);
  });
  return out;
}

export interface Box { x0: number; y0: number; x1: number; y1: number }

/** Liang–Barsky: the part of segment a→b inside the box, as fractions along it; null when none. */
function clipFractions(a: Point, b: Point, box: Box): [number, number] | null {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  let t0 = 0, t1 = 1;
  const edges: [number, number][] = [[-dx, a[0] - box.x0], [dx, box.x1 - a[0]], [-dy, a[1] - box.y0], [dy, box.y1 - a[1]]];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const r = q / p;
    if (p < 0) t0 = Math.max(t0, r);
    else t1 = Math.min(t1, r);
    if (t0 > t1) return null;
  }
  return [t0, t1];
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** A point along a→b; cut points are clamped so rounding cannot put them a hair outside the box. */
const along = (a: Point, b: Point, t: number, box: Box): Point => (t === 0 ? a : t === 1 ? b
  : [clamp(a[0] + (b[0] - a[0]) * t, box.x0, box.x1), clamp(a[1] + (b[1] - a[1]) * t, box.y0, box.y1)]);

/**
 * The parts of a polyline inside the box (box corners in the same units as the points, x0 <= x1,
 * y0 <= y1). A line that leaves and comes back becomes two pieces, so nothing is drawn outside
 * the axes and no edge-hugging stroke is invented where the data was out of range.
 */
export function clipPolyline(points: readonly Point[], box: Box): Point[][] {
  const inside = (p: Point) => p[0] >= box.x0 && p[0] <= box.x1 && p[1] >= box.y0 && p[1] <= box.y1;
  if (points.length === 1) return inside(points[0]!) ? [[points[0]!]] : [];
  const pieces: Point[][] = [];
  let current: Point[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!, b = points[i]!;
    const f = clipFractions(a, b, box);
    if (!f) {
      if (current.length) pieces.push(current);
      current = [];
      continue;
    }
    const start = along(a, b, f[0], box), end = along(a, b, f[1], box);
    if (current.length === 0 || f[0] > 0) {
      if (current.length) pieces.push(current);
      current = [start];
    }
    current.push(end);
    if (f[1] < 1) {
      pieces.push(current);
      current = [];
    }
  }
  if (current.length) pieces.push(current);
  return pieces;
}
