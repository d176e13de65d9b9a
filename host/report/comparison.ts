/**
 * Two runs side by side: each headline figure, the difference and its share, and the two
 * guest boot time CDFs overlaid (from the percentiles summary.json keeps). Only differences
 * beyond noise are marked better or worse, and only for figures where more is plainly good or bad.
 */
import type { RunSummary } from '../analysis/summary.ts';
import { cdfFromQuantiles, cdfPlot } from './cdf.ts';
import { escapeHtml, formatNumber, formatPercent } from './format.ts';
import { type Metric, headlineMetrics } from './headline.ts';
import { htmlPage } from './page.ts';

export interface ComparedRun { runId: string; summary: RunSummary }

/** Changes smaller than this share are run-to-run noise on a desk: not coloured as better or worse. */
const NOISE_PCT = 1;

function diffCells(m: Metric, a: number | null, b: number | null): string {
  if (a === null || b === null) return '<td>–</td><td>–</td>';
  const d = b - a;
  // A figure that is itself a percentage changes by points; a share of a share reads as nonsense.
  const rel = m.unit === '%' || a === 0 ? null : (100 * d) / Math.abs(a);
  const judged = m.higherIsBetter !== undefined && d !== 0 && (rel === null || Math.abs(rel) >= NOISE_PCT);
  const cls = !judged ? '' : (d > 0) === m.higherIsBetter ? ' class="better"' : ' class="worse"';
  return `<td${cls}>${d > 0 ? '+' : ''}${escapeHtml(formatNumber(d))}</td><td${cls}>${escapeHtml(formatPercent(rel))}</td>`;
}

export function renderComparison(a: ComparedRun, b: ComparedRun): string {
  const ma = headlineMetrics(a.summary), mb = headlineMetrics(b.summary);
  const rows = ma.map((m, i) => {
    const other = mb[i]!;
    const unit = m.unit ? ` (${m.unit})` : '';
    return `<tr><td>${escapeHtml(m.label + unit)}</td><td>${escapeHtml(formatNumber(m.value))}</td><td>${escapeHtml(formatNumber(other.value))}</td>${diffCells(m, m.value, other.value)}</tr>`;
  });
  const curves = [a, b]
    .map((r) => ({ name: r.runId, points: cdfFromQuantiles(r.summary.desk.guestBootQuantiles ?? []) }))
    .filter((c) => c.points.length > 0);
  const cdf = curves.length
    ? `<figure><h3>Guest boot time</h3><figcaption>Share of guests booted within a given time, both runs.</figcaption>${cdfPlot({ id: 'compare-cdf', title: `Guest boot time CDF: ${a.runId} and ${b.runId}`, curves })}</figure>`
    : '<p class="meta">Neither run recorded guest boots.</p>';
  const ida = escapeHtml(a.runId), idb = escapeHtml(b.runId);
  const body = [
    `<header><h1>Run comparison</h1><p class="meta">A: <code>${ida}</code> · B: <code>${idb}</code> · differences are B − A</p></header>`,
    `<section><h2>Headline figures</h2><div class="scroll"><table><thead><tr><th scope="col">figure</th><th scope="col">A ${ida}</th><th scope="col">B ${idb}</th><th scope="col">B − A</th><th scope="col">change</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div></section>`,
    `<section><h2>Distributions</h2>${cdf}</section>`,
  ];
  return htmlPage(`Comparison: ${a.runId} vs ${b.runId}`, body.join('\n'));
}
