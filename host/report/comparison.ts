/**
 * Two runs side by side: a warning first when their plans differ, then each headline figure,
 * the difference and its share, both runs' desk power overlaid from their starts, and the two
 * guest boot time CDFs overlaid (from the percentiles summary.json keeps). Only differences
 * beyond noise are marked better or worse, and only for figures where more is plainly good or bad.
 */
import type { RunSummary } from '../analysis/summary.ts';
import { cdfFromQuantiles } from './cdf.ts';
import { type Chart, cdfChart, lineChart } from './charts.ts';
import type { Point } from './downsample.ts';
import { type FigureFile, figureFiles, figureLinks } from './figure-files.ts';
import { escapeHtml, formatNumber, formatPercent } from './format.ts';
import { headlineMetrics } from './headline.ts';
import { htmlPage } from './page.ts';
import { type PlanDifference, describeDifferences, planDifferences } from './plan-diff.ts';

/** `plan` parsed with its defaults; `power` the desk's total power, seconds from the run's start. */
export interface ComparedRun { runId: string; summary: RunSummary; plan?: unknown; power?: readonly Point[] }

export interface Delta {
  key: string;
  label: string;
  unit: string;
  a: number | null;
  b: number | null;
  /** b − a */
  diff: number | null;
  /** 100 (b − a) / |a|; null for a figure that is itself a percentage (it changes by points) or from zero. */
  changePct: number | null;
  /** Only beyond noise, and only for figures where more is plainly good or bad. */
  verdict: 'better' | 'worse' | null;
}

/** Changes smaller than this share are run-to-run noise on a desk: not called better or worse. */
const NOISE_PCT = 1;

export function comparisonDeltas(a: RunSummary, b: RunSummary): Delta[] {
  const mb = headlineMetrics(b);
  return headlineMetrics(a).map((m, i) => {
    const other = mb[i]!.value;
    const diff = m.value === null || other === null ? null : other - m.value;
    const changePct = diff === null || m.unit === '%' || m.value === 0 ? null : (100 * diff) / Math.abs(m.value!);
    const judged = diff !== null && m.higherIsBetter !== undefined && diff !== 0 && (changePct === null || Math.abs(changePct) >= NOISE_PCT);
    return { key: m.key, label: m.label, unit: m.unit, a: m.value, b: other, diff, changePct, verdict: judged ? ((diff > 0) === m.higherIsBetter ? 'better' : 'worse') : null };
  });
}

/** Plan differences when both plans are known; none when either is not (an old bundle). */
export function comparedPlanDifferences(a: ComparedRun, b: ComparedRun): PlanDifference[] {
  return a.plan === undefined || b.plan === undefined ? [] : planDifferences(a.plan, b.plan);
}

function deltaRow(d: Delta): string {
  const unit = d.unit ? ` (${d.unit})` : '';
  const cls = d.verdict ? ` class="${d.verdict}"` : '';
  const cells = d.diff === null ? '<td>–</td><td>–</td>'
    : `<td${cls}>${d.diff > 0 ? '+' : ''}${escapeHtml(formatNumber(d.diff))}</td><td${cls}>${escapeHtml(formatPercent(d.changePct))}</td>`;
  return `<tr><td>${escapeHtml(d.label + unit)}</td><td>${escapeHtml(formatNumber(d.a))}</td><td>${escapeHtml(formatNumber(d.b))}</td>${cells}</tr>`;
}

function comparisonCharts(a: ComparedRun, b: ComparedRun): Chart[] {
  const charts: Chart[] = [];
  const runs = [a, b].filter((r) => r.power && r.power.length > 0);
  if (runs.length) {
    const x1 = Math.max(...[a, b].map((r) => (r.summary.window?.durationMs ?? 0) / 1000), 1);
    charts.push(lineChart('compare-power', 'Desk power, both runs', 'Total desk power of each run, aligned at its start (time since that run\'s first mark). Lines break where no board reported.', {
      title: `Desk power over time: ${a.runId} and ${b.runId}`, description: `Total desk power; run A ${a.runId}, run B ${b.runId}, each from its own start.`,
      xLabel: 'time since run start (s)', yLabel: 'power (W)', x: [0, x1], splitGaps: true,
      series: [a, b].map((r, i) => ({ name: `${i ? 'B' : 'A'} ${r.runId}`, points: r.power ?? [], emphasis: 'normal' as const, colour: i })),
    }));
  }
  const curves = [a, b]
    .map((r, i) => ({ name: `${i ? 'B' : 'A'} ${r.runId}`, points: cdfFromQuantiles(r.summary.desk.guestBootQuantiles ?? []) }))
    .filter((c) => c.points.length > 0);
  if (curves.length) {
    charts.push(cdfChart('compare-cdf', 'Guest boot time', 'Share of guests booted within a given time, both runs.', { title: `Guest boot time CDF: ${a.runId} and ${b.runId}`, curves }));
  }
  return charts;
}

export function renderComparison(a: ComparedRun, b: ComparedRun): string {
  return renderComparisonFiles(a, b).html;
}

/** The page and each figure's SVG and CSV, to write beside it. */
export function renderComparisonFiles(a: ComparedRun, b: ComparedRun): { html: string; files: FigureFile[] } {
  const rows = comparisonDeltas(a.summary, b.summary).map(deltaRow);
  const diffs = comparedPlanDifferences(a, b);
  const charts = comparisonCharts(a, b);
  const figure = (c: Chart) => `<figure id="fig-${c.id}"><h3>${escapeHtml(c.heading)}</h3><figcaption>${escapeHtml(c.caption)}</figcaption>${c.svg}${figureLinks(c.id)}</figure>`;
  const ida = escapeHtml(a.runId), idb = escapeHtml(b.runId);
  const warning = diffs.length
    ? `<section class="warning" aria-label="Plans differ"><p><strong>The two runs' plans differ</strong>, so their figures may differ for that reason alone: ${escapeHtml(describeDifferences(diffs))}.</p></section>`
    : '';
  const body = [
    `<header><h1>Run comparison</h1><p class="meta">A: <code>${ida}</code> · B: <code>${idb}</code> · differences are B − A</p></header>`,
    warning,
    `<section><h2>Headline figures</h2><div class="scroll"><table><thead><tr><th scope="col">figure</th><th scope="col">A ${ida}</th><th scope="col">B ${idb}</th><th scope="col">B − A</th><th scope="col">change</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div></section>`,
    `<section><h2>Figures</h2>${charts.length ? charts.map(figure).join('\n') : '<p class="meta">Neither run recorded power or guest boots.</p>'}</section>`,
  ];
  return { html: htmlPage(`Comparison: ${a.runId} vs ${b.runId}`, body.filter(Boolean).join('\n')), files: figureFiles(charts) };
}
