/**
 * Each figure of a report as files of its own beside the page: the SVG as drawn (standalone,
 * with its styles, so it opens in a browser or drops into a paper) and a CSV of the data it
 * plots (before thinning for display), so a reader can redraw or check it with their own tools.
 */
import { csvField } from '../store/csv.ts';
import type { Point } from './downsample.ts';
import { escapeHtml } from './format.ts';
import { SVG_CSS } from './page.ts';

export type FigureData =
  | { kind: 'lines'; xLabel: string; yLabel: string; series: readonly { name: string; points: readonly Point[] }[] }
  | { kind: 'bars'; xLabel: string; yLabel: string; bars: readonly { label: string; value: number }[] };

export interface Figure { id: string; svg: string; data: FigureData }
export interface FigureFile { name: string; content: string }

/** File names, relative to the page: a bundle copied elsewhere keeps its links. */
export function figureFileNames(id: string): { svg: string; csv: string } {
  return { svg: `figure-${id}.svg`, csv: `figure-${id}.csv` };
}

const row = (fields: readonly unknown[]) => fields.map(csvField).join(',');

/** RFC 4180 as the bundle's other CSVs: a header row, CRLF line ends. Lines: one row per point. */
export function figureCsv(data: FigureData): string {
  const rows = data.kind === 'lines'
    ? [row(['series', data.xLabel, data.yLabel]), ...data.series.flatMap((s) => s.points.map((p) => row([s.name, p[0], p[1]])))]
    : [row([data.xLabel, data.yLabel]), ...data.bars.map((b) => row([b.label, b.value]))];
  return `${rows.join('\r\n')}\r\n`;
}

/** The inline <svg> made a document of its own: the SVG namespace, an XML prolog and the page's plot styles. */
export function standaloneSvg(svg: string): string {
  const open = svg.indexOf('>');
  if (!svg.startsWith('<svg') || open < 0) throw new Error(`standaloneSvg: not an <svg> element: ${svg.slice(0, 40)}`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"${svg.slice(4, open)} width="960"><style>${SVG_CSS}</style>${svg.slice(open + 1)}\n`;
}

export function figureFiles(figures: readonly Figure[]): FigureFile[] {
  return figures.flatMap((f) => {
    const names = figureFileNames(f.id);
    return [{ name: names.svg, content: standaloneSvg(f.svg) }, { name: names.csv, content: figureCsv(f.data) }];
  });
}

export function figureLinks(id: string): string {
  const names = figureFileNames(id);
  return `<p class="files">Download: <a href="${escapeHtml(names.svg)}" download>SVG</a> · <a href="${escapeHtml(names.csv)}" download>data (CSV)</a></p>`;
}
