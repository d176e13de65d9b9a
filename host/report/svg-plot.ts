/**
 * Line charts as inline SVG: a few emphasised lines over the per-board ones, with the run's
 * phases as shaded bands behind. Up to MAX_DISTINCT_LINES boards each get a colour and dash of
 * their own and a legend entry; past that they are drawn faint in one colour (a shape, not lines
 * to follow) and only the aggregates are named. Every line is thinned to a point budget so a
 * 490-board desk yields a page a browser opens at once, broken at sample gaps, and cut to the axes.
 */
import { coord, escapeHtml } from './format.ts';
import { type Point, lttb, simplifyPixels } from './downsample.ts';
import { type Box, clipPolyline, splitAtGaps, toSteps } from './line-shape.ts';
import { DEFAULT_FRAME, type LegendItem, type Frame, axes, frameForLegend, legend, linearScale, niceMax, svgOpen } from './svg-axes.ts';

export type Emphasis = 'bold' | 'normal' | 'light';
/** `step`: a count, drawn as a staircase (held until the next sample) rather than sloped. */
export interface Series { name: string; points: readonly Point[]; emphasis: Emphasis; colour?: number; step?: boolean }
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
  /** Legend entry standing for all light lines when they are too many to name, e.g. "each board (490)". */
  lightLabel?: string;
  /** Break each line where its samples stop (gaps.ts); for time series, not for distributions. */
  splitGaps?: boolean;
  frame?: Frame;
}

export const MAX_POINTS_PER_LINE = 500;
/** Points shared by all light lines of one chart: about 0.5 MB of SVG at worst. */
export const LIGHT_POINT_BUDGET = 40_000;
/** Per-board lines told apart by colour and dash up to this many: 8 colours, solid then dashed. */
export const MAX_DISTINCT_LINES = 16;
const PALETTE_SIZE = 8;
const MIN_LIGHT_POINTS = 16;
/** Above this many light lines, per-line tooltips cost more bytes than they help. */
const MAX_TITLED_LINES = 60;

export function lightOpacity(lines: number): number {
  return Math.min(0.5, Math.max(0.04, 1.2 / Math.sqrt(Math.max(1, lines))));
}

/** The class of the i-th distinct per-board line: a palette colour, dashed on the second round. */
export function distinctClass(i: number): string {
  return `each k${i % PALETTE_SIZE}${Math.floor(i / PALETTE_SIZE) % 2 ? ' dashed' : ''}`;
}

function extent(series: readonly Series[], axis: 0 | 1): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) for (const p of s.points) { lo = Math.min(lo, p[axis]); hi = Math.max(hi, p[axis]); }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/**
 * One series as an SVG path in pixels: split at gaps, thinned, stepped, clipped to the box.
 * A lone sample between gaps stays visible as a dot (a zero-length segment with round caps).
 */
export function seriesPath(s: Series, max: number, toPx: (p: Point) => Point, box: Box, splitGaps: boolean, decimals: 0 | 1): string {
  const runs = splitGaps ? splitAtGaps(s.points) : [s.points];
  const total = Math.max(1, s.points.length);
  const d: string[] = [];
  for (const run of runs) {
    const thin = lttb(run, Math.max(2, Math.round((max * run.length) / total)));
    const px = (s.step ? toSteps(thin) : thin).map(toPx);
    for (const piece of clipPolyline(px, box)) {
      const pts = simplifyPixels(piece.map(([a, b]) => [Number(coord(a, decimals)), Number(coord(b, decimals))] as const));
      if (pts.length === 0) continue;
      const [fx, fy] = pts[0]!;
      d.push(`M${fx} ${fy}${pts.length === 1 ? `L${fx} ${fy}` : pts.slice(1).map(([a, b]) => `L${a} ${b}`).join('')}`);
    }
  }
  return d.join('');
}

export function linePlot(spec: LinePlotSpec): string {
  const light = spec.series.filter((s) => s.emphasis === 'light');
  const strong = spec.series.filter((s) => s.emphasis !== 'light');
  const distinct = light.length <= MAX_DISTINCT_LINES;
  const strongClass = (s: Series) => (s.emphasis === 'bold' ? 'bold' : `normal c${(s.colour ?? 0) % 6}`);
  const items: LegendItem[] = [
    ...strong.map((s): LegendItem => ({ label: s.name, className: strongClass(s), kind: 'line' })),
    ...(distinct ? light.map((s, i): LegendItem => ({ label: s.name, className: distinctClass(i), kind: 'line' }))
      : [{ label: spec.lightLabel ?? `each line (${light.length})`, className: 'light-key', kind: 'line' as const }]),
  ];
  const f = frameForLegend(items, spec.frame ?? DEFAULT_FRAME);
  const [x0, x1] = spec.x ?? extent(spec.series, 0);
  const [y0, y1] = spec.y ?? [0, niceMax(extent(spec.series, 1)[1])];
  const x = linearScale(x0, x1 > x0 ? x1 : x0 + 1, f.left, f.width - f.right);
  const y = linearScale(y0, y1 > y0 ? y1 : y0 + 1, f.height - f.bottom, f.top);
  const box: Box = { x0: f.left, x1: f.width - f.right, y0: f.top, y1: f.height - f.bottom };
  const toPx = (p: Point): Point => [x(p[0]), y(p[1])];
  const splitGaps = spec.splitGaps ?? false;
  const path = (s: Series, max: number, decimals: 0 | 1, cls: string, titled: boolean, halo: boolean) => {
    const d = seriesPath(s, max, toPx, box, splitGaps, decimals);
    if (!d) return '';
    const title = titled ? `<title>${escapeHtml(s.name)}</title>` : '';
    // A pale halo under an emphasised line keeps it readable over hundreds of light ones.
    return `${halo ? `<path class="halo" d="${d}"/>` : ''}<path${cls ? ` class="${cls}"` : ''} d="${d}">${title}</path>`;
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
  if (light.length && distinct) {
    parts.push('<g class="boards">');
    light.forEach((s, i) => parts.push(path(s, MAX_POINTS_PER_LINE, 1, distinctClass(i), true, false)));
    parts.push('</g>');
  } else if (light.length) {
    const lightMax = Math.max(MIN_LIGHT_POINTS, Math.min(MAX_POINTS_PER_LINE, Math.floor(LIGHT_POINT_BUDGET / light.length)));
    parts.push(`<g class="light" stroke-opacity="${lightOpacity(light.length).toFixed(3)}">`);
    for (const s of light) parts.push(path(s, lightMax, 0, '', light.length <= MAX_TITLED_LINES, false));
    parts.push('</g>');
  }
  for (const s of strong) parts.push(path(s, MAX_POINTS_PER_LINE, 1, strongClass(s), true, light.length > 0));
  parts.push(legend(items, f), '</svg>');
  return parts.join('');
}
