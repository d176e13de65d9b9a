/**
 * A series drawn as an SVG path: time across (the last `windowMs` up to `now`), value up from
 * zero to a round ceiling with a tenth of headroom above the largest value, so the scale reads
 * at a glance and a steady value is not drawn on the box's edge. Pure.
 */

/** A page that has watched for less than the window plots what it has, but at least a minute. */
export const MIN_SPAN_MS = 60_000;

/** The time the plot spans: from the oldest sample to `now`, between MIN_SPAN_MS and `windowMs`. */
export function plotSpan(points, now, windowMs) {
  const seen = points.length ? now - points[0].at : 0;
  return Math.min(windowMs, Math.max(MIN_SPAN_MS, seen));
}

/** "45 s", "3 min": a span for the plot's caption. */
export function spanText(ms) {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

/** The smallest of 1, 2, 5 × 10^k at or above `v` (1 for nothing to show). */
export function niceCeiling(v) {
  if (!(v > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (step * power >= v - 1e-9 * power) return step * power;
  return 10 * power;
}

/**
 * `{ d, max }`: the path's `d` attribute ('' when no point) for `points` (`{ at, value }`,
 * oldest first) in a `width` × `height` box, and the value at the box's top.
 */
export function plotPath(points, { now, windowMs, width, height }) {
  const max = niceCeiling(1.1 * Math.max(0, ...points.map((p) => p.value)));
  const x = (at) => ((at - (now - windowMs)) / windowMs) * width;
  const y = (v) => height - (v / max) * height;
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)} ${y(p.value).toFixed(1)}`).join(' ');
  return { d, max };
}
