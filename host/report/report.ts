/**
 * The run report: one self-contained HTML page from a run's summary and stored series. The
 * headline first, then the charts, then the exact figures and how they were computed.
 */
import type { RunSummary } from '../analysis/summary.ts';
import { type ReportSeries, runCharts } from './charts.ts';
import { escapeHtml, formatDuration, formatNumber, formatPercent, withUnit } from './format.ts';
import { card, htmlPage, planSection } from './page.ts';
import { boardBootMissing } from './headline.ts';
import { boardTable, countsTable, phaseTable, windowsTable } from './tables.ts';
import { type FigureFile, figureFiles, figureLinks } from './figure-files.ts';
import { runStatusSection, type RunStatus } from './run-status.ts';
import { netProbeSection } from './net-probe.ts';
import type { NetProbeRecord } from '../net/probe.ts';

export { renderComparison, renderComparisonFiles } from './comparison.ts';
export type { ReportSeries } from './charts.ts';

export interface ReportInput {
  title: string;
  runId: string;
  plan: unknown;
  summary: RunSummary;
  series: ReportSeries;
  status: RunStatus;
  /** The plan's guest networks probed, when it had a topology. */
  netProbe?: NetProbeRecord | null;
}

export function headlineCards(s: RunSummary): string {
  const d = s.desk, boot = d.guestBootMs, launch = d.launch;
  return `<div class="cards">${[
    card('Boards', `${d.boardsReporting} / ${d.boards}`, 'reporting / in the run'),
    card('Guests booted', formatNumber(d.guestsBooted), `${formatNumber(d.guestsFailed)} failed, peak ${formatNumber(d.peakGuestsRunning)} running`),
    card('Total energy', withUnit(d.energyJ, 'J'), `over ${formatDuration(s.window?.durationMs)}`),
    card('Energy per guest boot', withUnit(launch?.joulesPerGuestBoot, 'J'), launch ? `over idle ${withUnit(launch.idleW, 'W')} during a ${formatDuration(launch.ms)} launch` : 'no launch or idle marks'),
    card('Guest boot p50 / p95 / p99', boot ? `${formatNumber(boot.p50)} / ${formatNumber(boot.p95)} / ${formatNumber(boot.p99)} ms` : '–', boot ? `max ${withUnit(boot.max, 'ms')}, ${formatNumber(boot.count)} boots` : 'no boots'),
    card('Board boot p50', withUnit(d.boardBootMs?.p50, 'ms'), d.boardBootMs ? `power-on to ready, max ${withUnit(d.boardBootMs.max, 'ms')}` : boardBootMissing(s)),
    card('Desk power', `${withUnit(d.power?.meanW, 'W')} mean`, `peak ${withUnit(d.power?.peakW, 'W')}, idle ${withUnit(d.idleW, 'W')}`),
    card('Host vs board counter', formatPercent(d.crossCheckPct), `board counters ${withUnit(d.counterJ, 'J')}`),
    card('Dropped', `${formatNumber(s.counts.malformed)} malformed`, `${formatNumber(s.counts.lostTelemetry)} telemetry samples lost`),
  ].join('')}</div>`;
}

const METHOD = `Energy is the trapezoid rule over each board's power samples within the run window (first to
last run mark), never extrapolated past a board's first or last sample nor across a gap (no sample for more than 3 times
the board's median sample interval, such as a reboot); the cross-check compares it with the board's own energy counter
over the same samples. A board's mean power is over its own samples in the window, its peak the highest of them; the
desk's peak is the highest sum of the boards sampled at any one time, its mean the total energy over the window's length.
Board boot times count only boots that began within the run. Idle power is the median between boards-ready and launch-start. Energy per
guest boot is (launch energy − idle power × launch time) ÷ guests booted during the launch, over boards with an idle
baseline. Percentiles interpolate linearly between closest ranks (type 7, as Excel PERCENTILE.INC and NumPy).
Lines are thinned for display (largest-triangle-three-buckets); the tables and summary.json hold the exact figures.`;

export function renderReport(input: ReportInput): string {
  return renderReportFiles(input).html;
}

/** The page and, to write beside it, each figure's SVG and CSV (the page links them). */
export function renderReportFiles(input: ReportInput): { html: string; files: FigureFile[] } {
  const s = input.summary;
  const started = s.window ? new Date(s.window.from).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'unknown';
  const charts = runCharts(s, input.series);
  const figures = charts.map((c) =>
    `<figure id="fig-${c.id}" aria-labelledby="h-${c.id}"><h3 id="h-${c.id}">${escapeHtml(c.heading)}</h3><figcaption>${escapeHtml(c.caption)}</figcaption>${c.svg}${figureLinks(c.id)}</figure>`);
  const body = [
    `<header><h1>${escapeHtml(input.title)}</h1><p class="meta">Run <code>${escapeHtml(input.runId)}</code> · started ${escapeHtml(started)} · ${escapeHtml(formatDuration(s.window?.durationMs))}</p></header>`,
    runStatusSection(input.status, s.window?.from),
    `<section aria-label="Headline figures">${headlineCards(s)}</section>`,
    `<section><h2>Plan</h2>${planSection(input.plan)}</section>`,
    `<section><h2>Phases</h2>${phaseTable(s)}</section>`,
    `<section><h2>Charts</h2>${figures.join('\n')}</section>`,
    input.netProbe ? `<section><h2>Guest networks</h2>${netProbeSection(input.netProbe)}</section>` : '',
    `<section><h2>What each figure covers</h2>${windowsTable(s)}</section>`,
    `<section><h2>Boards</h2>${boardTable(s)}</section>`,
    `<section><h2>Counters</h2>${countsTable(s)}</section>`,
    `<footer><p>${escapeHtml(METHOD.replace(/\s*\n\s*/g, ' '))}</p></footer>`,
  ];
  return { html: htmlPage(`${input.title} — ${input.runId}`, body.filter(Boolean).join('\n')), files: figureFiles(charts) };
}
