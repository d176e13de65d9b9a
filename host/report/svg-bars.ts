/**
 * Bar charts as inline SVG, one bar per board. With hundreds of boards the bars are a shape
 * (how uneven the desk is) rather than things to read one by one; each keeps a tooltip and
 * the table below the charts holds the exact figures.
 */
import { coord, escapeHtml, formatNumber } from './format.ts';
import { DEFAULT_FRAME, type Frame, type LegendItem, axes, legend, linearScale, niceMax, svgOpen } from './svg-axes.ts';

export interface Bar { label: string; value: number }
export interface BarChartSpec {
  id: string;
  title: string;
  description: string;
  xLabel: string;
  yLabel: string;
  bars: readonly Bar[];
  /** A horizontal line across the bars, such as the desk-wide figure. */
  reference?: { value: number; label: string };
  valueText?: (v: number) => string;
  frame?: Frame;
}

/** Up to this many bars get a name under them; past it names would overlap. */
const MAX_NAMED_BARS = 40;

export function barChart(spec: BarChartSpec): string {
  const named = spec.bars.length <= MAX_NAMED_BARS;
  const base = spec.frame ?? DEFAULT_FRAME;
  const f = named ? { ...base, bottom: base.bottom + 40 } : base;
  const text = spec.valueText ?? formatNumber;
  const values = spec.bars.map((b) => b.value).concat(spec.reference ? [spec.reference.value] : []);
  const lo = values.reduce((m, v) => Math.min(m, v), 0), hi = values.reduce((m, v) => Math.max(m, v), 0);
  const y = linearScale(lo < 0 ? -niceMax(-lo) : 0, niceMax(hi), f.height - f.bottom, f.top);
  const n = Math.max(1, spec.bars.length);
  const x = linearScale(0, n, f.left, f.width - f.right);
  const slot = (f.width - f.right - f.left) / n;
  const gap = slot > 6 ? slot * 0.2 : 0;
  const parts: string[] = [svgOpen(spec.id, spec.title, spec.description, f)];
  parts.push(axes({ frame: f, x, y, xLabel: spec.xLabel, yLabel: spec.yLabel, xTicks: false }));
  parts.push('<g class="bars">');
  spec.bars.forEach((b, i) => {
    const top = y(Math.max(0, b.value)), bottom = y(Math.min(0, b.value));
    const bx = x(i) + gap / 2;
    parts.push(`<rect x="${coord(bx, 1)}" y="${coord(top, 1)}" width="${coord(Math.max(0.5, slot - gap), 1)}" height="${coord(Math.max(0.5, bottom - top), 1)}"><title>${escapeHtml(`${b.label}: ${text(b.value)}`)}</title></rect>`);
    if (named) {
      const lx = coord(bx + (slot - gap) / 2, 1), ly = f.height - f.bottom + 12;
      parts.push(`<text class="tick" transform="translate(${lx} ${ly}) rotate(-50)" text-anchor="end">${escapeHtml(b.label)}</text>`);
    }
  });
  parts.push('</g>');
  const items: LegendItem[] = [{ label: spec.yLabel, className: 'bar-key', kind: 'box' }];
  if (spec.reference) {
    const ry = coord(y(spec.reference.value), 1);
    parts.push(`<line class="reference" x1="${f.left}" x2="${f.width - f.right}" y1="${ry}" y2="${ry}"><title>${escapeHtml(`${spec.reference.label}: ${text(spec.reference.value)}`)}</title></line>`);
    items.push({ label: `${spec.reference.label}: ${text(spec.reference.value)}`, className: 'reference', kind: 'line' });
  }
  parts.push(legend(items, f), '</svg>');
  return parts.join('');
}
