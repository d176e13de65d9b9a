/**
 * The parts every chart shares: the frame, linear scales, "nice" ticks, axes with labels and
 * the accessible opening of an inline <svg>. Styling lives in the page's CSS (classes here),
 * so hundreds of elements do not each repeat their colours.
 */
import { coord, escapeHtml } from './format.ts';

export interface Frame { width: number; height: number; top: number; right: number; bottom: number; left: number }
export const DEFAULT_FRAME: Frame = { width: 960, height: 340, top: 40, right: 24, bottom: 50, left: 70 };

export interface Scale { (v: number): number; readonly d0: number; readonly d1: number }

export function linearScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0 || 1;
  const f = (v: number) => r0 + ((v - d0) / span) * (r1 - r0);
  return Object.assign(f, { d0, d1 });
}

/** Steps of 1, 2, 2.5 or 5 times a power of ten: ticks a reader can add up in their head. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max <= min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  return ticks;
}

/**
 * Tick labels with as many decimals as the step needs, the same for every tick of an axis
 * ("0.5, 1.0, 1.5" rather than "0.500, 1.00, 1.50").
 */
export function tickFormatter(ticks: readonly number[]): (v: number) => string {
  const decimals = [0, 1, 2, 3, 4, 5, 6].find((d) => ticks.every((t) => Math.abs(Number(t.toFixed(d)) - t) < 1e-9 * Math.max(1, Math.abs(t)))) ?? 6;
  return (v) => {
    const [int = '', frac] = Math.abs(v).toFixed(decimals).split('.');
    const sign = v < 0 && Number(v.toFixed(decimals)) !== 0 ? '-' : '';
    return `${sign}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac ? `.${frac}` : ''}`;
  };
}

/** Upper end of a domain starting at zero: the first tick at or above the data, with a little headroom. */
export function niceMax(max: number): number {
  if (!Number.isFinite(max) || max <= 0) return 1;
  const ticks = niceTicks(0, max * 1.05, 5);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : max * 1.05;
  return Math.ceil((max * 1.05) / step - 1e-9) * step;
}

export function svgOpen(id: string, title: string, description: string, frame: Frame): string {
  return `<svg id="${id}" class="plot" viewBox="0 0 ${frame.width} ${frame.height}" role="img" aria-labelledby="${id}-t ${id}-d">`
    + `<title id="${id}-t">${escapeHtml(title)}</title><desc id="${id}-d">${escapeHtml(description)}</desc>`;
}

export interface AxesSpec {
  frame: Frame;
  x: Scale;
  y: Scale;
  xLabel: string;
  yLabel: string;
  xTicks?: number[] | false;
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
}

export function axes(spec: AxesSpec): string {
  const { frame: f, x, y } = spec;
  const yTicks = niceTicks(y.d0, y.d1, 5);
  const xTicks = spec.xTicks === false ? [] : spec.xTicks ?? niceTicks(x.d0, x.d1, 8);
  const xf = spec.xFormat ?? tickFormatter(xTicks), yf = spec.yFormat ?? tickFormatter(yTicks);
  const bottom = f.height - f.bottom, right = f.width - f.right;
  const parts: string[] = ['<g class="axes">'];
  for (const v of yTicks) {
    const py = coord(y(v), 1);
    parts.push(`<line class="grid" x1="${f.left}" x2="${right}" y1="${py}" y2="${py}"/><text class="tick" x="${f.left - 6}" y="${py}" text-anchor="end" dy="0.32em">${escapeHtml(yf(v))}</text>`);
  }
  for (const v of xTicks) {
    const px = coord(x(v), 1);
    parts.push(`<line class="tickmark" x1="${px}" x2="${px}" y1="${bottom}" y2="${bottom + 5}"/><text class="tick" x="${px}" y="${bottom + 17}" text-anchor="middle">${escapeHtml(xf(v))}</text>`);
  }
  parts.push(`<line class="axis" x1="${f.left}" x2="${right}" y1="${bottom}" y2="${bottom}"/><line class="axis" x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${bottom}"/>`);
  parts.push(`<text class="label" x="${coord((f.left + right) / 2, 1)}" y="${f.height - 8}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`);
  const midY = coord((f.top + bottom) / 2, 1);
  parts.push(`<text class="label" transform="translate(16 ${midY}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.yLabel)}</text>`);
  parts.push('</g>');
  return parts.join('');
}

export interface LegendItem { label: string; className: string; kind: 'line' | 'box' }

const LEGEND_ROW = 16;
const legendWidth = (item: LegendItem) => 40 + item.label.length * 6.5;

/** Where each legend entry goes: left to right above the plot area, wrapping to a new row when full. */
export function legendLayout(items: readonly LegendItem[], frame: Frame): { x: number; y: number }[] {
  let x = frame.left, y = 16;
  return items.map((item) => {
    if (x > frame.left && x + legendWidth(item) > frame.width - frame.right) { x = frame.left; y += LEGEND_ROW; }
    const at = { x, y };
    x += legendWidth(item);
    return at;
  });
}

/** The frame grown at the top by the legend's extra rows, so a wrapped legend never covers the plot. */
export function frameForLegend(items: readonly LegendItem[], frame: Frame): Frame {
  const rows = legendLayout(items, frame).reduce((m, p) => Math.max(m, p.y), 16);
  const extra = rows - 16;
  return extra > 0 ? { ...frame, top: frame.top + extra, height: frame.height + extra } : frame;
}

export function legend(items: readonly LegendItem[], frame: Frame): string {
  const layout = legendLayout(items, frame);
  const parts: string[] = ['<g class="legend">'];
  items.forEach((item, i) => {
    const { x, y } = layout[i]!;
    const sw = item.kind === 'line'
      ? `<line class="${item.className}" x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}"/>`
      : `<rect class="${item.className}" x="${x}" y="${y - 6}" width="14" height="12"/>`;
    parts.push(`${sw}<text x="${x + 28}" y="${y}" dy="0.32em">${escapeHtml(item.label)}</text>`);
  });
  parts.push('</g>');
  return parts.join('');
}
