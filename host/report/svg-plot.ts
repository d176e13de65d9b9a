/**
 * Line charts as inline SVG: a few emphasised lines over many light ones (one per board),
 * with the run's phases as shaded bands behind. Every line is thinned to a point budget so a
 * 490-board desk yields a page a browser opens at once.
 */
import { coord, escapeHtml } from './format.ts';
import { type Point, lttb, simplifyPixels } from './downsample.ts';
import { DEFAULT_FRAME, type Frame, type LegendItem, axes, legend, linearScale, niceMax, svgOpen } from './svg-axes.ts';

export type Emphasis = 'bold' | 'normal' | 'light';
export interface Series { name: string; points: readonly Point[]; emphasis: Emphasis; colour?: number }
export interface Band { from: number; to: number; label: string; detail?: string }
export interface LinePlotSpec {
  id: string;
  title: string;
  description: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  bands?: readonly Band[];
  x?: readonly [number, number];
  y?: readonly [number, number];
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** Legend entry standing for all light lines, e.g. "each board (490)". */
  lightLabel?: string;
  frame?: Frame;
}

export const MAX_POINTS_PER_LINE = 500;
/** Points shared by all light lines of one chart: about 0.5 MB of SVG at worst. */
export const LIGHT_POINT_BUDGET = 40_000;
const MIN_LIGHT_POINTS = 16;
/** Above this many light lines, per-line tooltips cost more bytes than they help. */
const MAX_TITLED_LINES = 60;

export function lightOpacity(lines: number): number {
  return Math.min(0.5, Math.max(0.04, 1.2 / Math.sqrt(Math.max(1, lines))));
}

function extent(series: readonly Series[], axis: 0 | 1): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) for (const p of s.points) { lo = Math.min(lo, p[axis]); hi = Math.max(hi, p[axis]); }
  return lo <= hi ? [lo, hi] : [0, 1];
}

export function linePlot(spec: LinePlotSpec): string {
  const f = spec.frame ?? DEFAULT_FRAME;
  const [x0, x1] = spec.x ?? extent(spec.series, 0);
  const [y0, y1] = spec.y ?? [0, niceMax(extent(spec.series, 1)[1])];
  const x = linearScale(x0, x1 > x0 ? x1 : x0 + 1, f.left, f.width - f.right);
  const y = linearScale(y0, y1 > y0 ? y1 : y0 + 1, f.height - f.bottom, f.top);
  const light = spec.series.filter((s) => s.emphasis === 'light');
  const strong = spec.series.filter((s) => s.emphasis !== 'light');
  const lightMax = Math.max(MIN_LIGHT_POINTS, Math.min(MAX_POINTS_PER_LINE, Math.floor(LIGHT_POINT_BUDGET / Math.max(1, light.length))));
  const polyline = (s: Series, max: number, decimals: 0 | 1, cls: string, titled: boolean) => {
    const px = simplifyPixels(lttb(s.points, max).map(([a, b]) => [Number(coord(x(a), decimals)), Number(coord(y(b), decimals))] as const));
    if (px.length === 0) return '';
    const pts = px.map(([a, b]) => `${a},${b}`).join(' ');
    const title = titled ? `<title>${escapeHtml(s.name)}</title>` : '';
    // A pale halo under an emphasised line keeps it readable over hundreds of light ones.
    const halo = cls && light.length ? `<polyline class="halo" points="${pts}"/>` : '';
    return `${halo}<polyline${cls ? ` class="${cls}"` : ''} points="${pts}">${title}</polyline>`;
  };
  const parts: string[] = [svgOpen(spec.id, spec.title, spec.description, f)];
  (spec.bands ?? []).forEach((b, i) => {
    const bx0 = x(Math.max(b.from, x0)), bx1 = x(Math.min(b.to, x1));
    if (!(bx1 > bx0)) return;
    const label = bx1 - bx0 > b.label.length * 6 + 6
      ? `<text class="band-label" x="${coord(bx0 + 4, 1)}" y="${f.top + 12}">${escapeHtml(b.label)}</text>` : '';
    parts.push(`<g class="band${i % 2}"><title>${escapeHtml(b.detail ?? b.label)}</title><rect x="${coord(bx0, 1)}" y="${f.top}" width="${coord(bx1 - bx0, 1)}" height="${f.height - f.top - f.bottom}"/>${label}</g>`);
  });
  parts.push(axes({ frame: f, x, y, xLabel: spec.xLabel, yLabel: spec.yLabel, ...(spec.xFormat ? { xFormat: spec.xFormat } : {}), ...(spec.yFormat ? { yFormat: spec.yFormat } : {}) }));
  if (light.length) {
    const titled = light.length <= MAX_TITLED_LINES;
    parts.push(`<g class="light" stroke-opacity="${lightOpacity(light.length).toFixed(3)}">`);
    for (const s of light) parts.push(polyline(s, lightMax, 0, '', titled));
    parts.push('</g>');
  }
  for (const s of strong) parts.push(polyline(s, MAX_POINTS_PER_LINE, 1, s.emphasis === 'bold' ? 'bold' : `normal c${(s.colour ?? 0) % 6}`, true));
  const items: LegendItem[] = strong.map((s) => ({ label: s.name, className: s.emphasis === 'bold' ? 'bold' : `normal c${(s.colour ?? 0) % 6}`, kind: 'line' }));
  if (light.length) items.push({ label: spec.lightLabel ?? `each line (${light.length})`, className: 'light-key', kind: 'line' });
  parts.push(legend(items, f), '</svg>');
  return parts.join('');
}
