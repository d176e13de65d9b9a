/**
 * A series drawn as an SVG path: time across (the last `windowMs` up to `now`), value up from
 * zero to a round ceiling above the largest value, so the scale reads at a glance. Pure.
 */

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
  const max = niceCeiling(Math.max(0, ...points.map((p) => p.value)));
  const x = (at) => ((at - (now - windowMs)) / windowMs) * width;
  const y = (v) => height - (v / max) * height;
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)} ${y(p.value).toFixed(1)}`).join(' ');
  return { d, max };
}
