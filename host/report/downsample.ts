/**
 * Fewer points for a line that keep its look. A report with hundreds of boards cannot carry
 * every sample of every board, and a screen cannot show more points than it has pixels.
 */
export type Point = readonly [number, number];

/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): per bucket, the point that spans the
 * largest triangle with its neighbours, so peaks and steps survive where averaging flattens them.
 * Input sorted by x; first and last points are always kept.
 */
export function lttb(points: readonly Point[], max: number): Point[] {
  const n = points.length;
  if (max >= n || n <= 2) return [...points];
  if (max < 3) return [points[0]!, points[n - 1]!];
  const out: Point[] = [points[0]!];
  const size = (n - 2) / (max - 2);
  let a = 0;
  for (let i = 0; i < max - 2; i++) {
    const start = Math.floor(i * size) + 1, end = Math.min(Math.floor((i + 1) * size) + 1, n - 1);
    // The next bucket's average stands in for the point that will be picked there.
    const nStart = end, nEnd = Math.min(Math.floor((i + 2) * size) + 1, n);
    let ax = 0, ay = 0;
    for (let j = nStart; j < nEnd; j++) { ax += points[j]![0]; ay += points[j]![1]; }
    const count = Math.max(1, nEnd - nStart);
    ax /= count; ay /= count;
    const [px, py] = points[a]!;
    let best = start, bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((px - ax) * (points[j]![1] - py) - (px - points[j]![0]) * (ay - py));
      if (area > bestArea) { bestArea = area; best = j; }
    }
    out.push(points[best]!);
    a = best;
  }
  out.push(points[n - 1]!);
  return out;
}

const between = (a: number, b: number, c: number) => (a <= b && b <= c) || (a >= b && b >= c);
const isMiddle = (a: Point, b: Point, c: Point) =>
  (a[1] === b[1] && b[1] === c[1] && between(a[0], b[0], c[0])) || (a[0] === b[0] && b[0] === c[0] && between(a[1], b[1], c[1]));

/**
 * Drops points a polyline does not need once in pixels: repeats, and the middle of three on
 * one horizontal or vertical run (counts held steady are most of a guests-running line).
 */
export function simplifyPixels(points: readonly Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && last[0] === p[0] && last[1] === p[1]) continue;
    const prev = out[out.length - 2];
    if (prev && last && isMiddle(prev, last, p)) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}
