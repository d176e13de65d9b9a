/** A small SVG line plot of a history.js series (plot.js scales it), with its scale written beside. */
import { plotPath, plotSpan, spanText } from './plot.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 60;

/** Fills `container` with the plot; `unit` follows the top-of-scale figure. */
export function createSparkline(container, { label, unit = 'W' }) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.classList.add('sparkline');
  const path = document.createElementNS(SVG, 'path');
  svg.append(path);
  const scale = document.createElement('span');
  scale.className = 'scale';
  container.append(svg, scale);
  return {
    svg,
    /** Draws `history`'s samples of the last window up to `now`. */
    draw(history, now) {
      const points = history ? history.points(now) : [];
      const span = plotSpan(points, now, history?.windowMs ?? 1);
      const { d, max } = plotPath(points, { now, windowMs: span, width: WIDTH, height: HEIGHT });
      path.setAttribute('d', d);
      svg.dataset.points = String(points.length);
      scale.textContent = points.length ? `0–${max} ${unit}, last ${spanText(span)}` : 'no samples yet';
    },
  };
}
