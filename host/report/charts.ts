/**
 * The run's charts, from the stored series and the summary: boot-time CDF, guests running,
 * power, and energy per board. Time runs in seconds from the run's first mark so every chart
 * shares one axis and the phase bands line up. Each chart carries the data it plots, for its CSV.
 */
import { type Between, deskPowerSeries } from '../analysis/desk-power.ts';
import { groupByBoard, type PowerPoint, type RunMark } from '../analysis/energy.ts';
import type { BootPhaseRow, GuestBootRow, RunSummary, TelemetryRow } from '../analysis/summary.ts';
import { cdfPlot, cdfPoints, type CdfPlotSpec } from './cdf.ts';
import type { Point } from './downsample.ts';
import type { Figure } from './figure-files.ts';
import { formatDuration, withUnit } from './format.ts';
import { type BarChartSpec, barChart } from './svg-bars.ts';
import { type Band, type LinePlotSpec, type Series, MAX_DISTINCT_LINES, MAX_POINTS_PER_LINE, linePlot } from './svg-plot.ts';

export interface ReportSeries { telemetry: readonly TelemetryRow[]; guestBoots: readonly GuestBootRow[]; bootPhases: readonly BootPhaseRow[]; marks: readonly RunMark[] }
export interface Chart extends Figure { heading: string; caption: string }

export const PHASE_LABELS: Record<string, string> = {
  'repetition-start': 'setup', 'boot-start': 'boot', 'boards-ready': 'idle', 'launch-start': 'launch', 'launch-end': 'settle',
  'hold-start': 'hold', 'hold-end': 'stop', 'net-probe-start': 'net probe', 'stop-start': 'stop',
};

export function phaseBands(summary: RunSummary, t0: number): Band[] {
  return summary.phases.map((p) => ({
    from: (p.start - t0) / 1000, to: (p.end - t0) / 1000, label: PHASE_LABELS[p.from] ?? p.from,
    detail: `${p.from} → ${p.to}: ${formatDuration(p.durationMs)}, ${withUnit(p.joules, 'J')}, mean ${withUnit(p.meanW, 'W')}`,
  }));
}

/** Per board line plus the desk total and the mean per sampled board, on one time grid. */
function overTime(boards: Map<string, PowerPoint[]>, window: { from: number; to: number } | null, t0: number, between: Between) {
  const sec = (t: number) => (t - t0) / 1000;
  const step = between === 'hold';
  const perBoard: Series[] = [...boards].map(([name, pts]) => ({ name, points: pts.map((p): Point => [sec(p.t), p.watts]), emphasis: 'light', step }));
  const grid = window && window.to > window.from ? deskPowerSeries(boards, window, MAX_POINTS_PER_LINE, between) : [];
  const sampled = grid.filter((g) => g.boards > 0);
  const total = sampled.map((g): Point => [sec(g.t), g.watts]);
  const mean = sampled.map((g): Point => [sec(g.t), g.watts / g.boards]);
  return { perBoard, total, mean, step };
}

export const lineChart = (id: string, heading: string, caption: string, spec: Omit<LinePlotSpec, 'id'>): Chart => ({
  id, heading, caption, svg: linePlot({ ...spec, id }),
  data: { kind: 'lines', xLabel: spec.xLabel, yLabel: spec.yLabel, series: spec.series.map((s) => ({ name: s.name, points: s.points })) },
});

const barsChart = (id: string, heading: string, caption: string, spec: Omit<BarChartSpec, 'id'>): Chart => ({
  id, heading, caption, svg: barChart({ ...spec, id }), data: { kind: 'bars', xLabel: spec.xLabel, yLabel: spec.yLabel, bars: spec.bars },
});

export function cdfChart(id: string, heading: string, caption: string, spec: Omit<CdfPlotSpec, 'id'>): Chart {
  const curves = [...spec.curves, ...[...(spec.perBoard ?? new Map<string, readonly number[]>())].map(([name, values]) => ({ name, points: cdfPoints(values, 120) }))];
  return { id, heading, caption, svg: cdfPlot({ ...spec, id }), data: { kind: 'lines', xLabel: 'guest boot time (ms)', yLabel: 'share of guests booted', series: curves } };
}

/** How the per-board lines of a chart are drawn, for its caption. */
function boardLines(n: number): string {
  return n <= MAX_DISTINCT_LINES ? 'each board its own colour (named in the legend)'
    : `each of the ${n} boards a faint line (more than ${MAX_DISTINCT_LINES}: too many to tell apart; the CSV and the table name them)`;
}

const GAPS = 'Lines break where a board sent nothing for more than 3 times its usual sample interval (a reboot, a lost link).';

export function runCharts(summary: RunSummary, series: ReportSeries): Chart[] {
  const t0 = summary.window?.from ?? series.telemetry.reduce((m, r) => Math.min(m, r.at), Infinity);
  const span = summary.window ? [0, summary.window.durationMs / 1000] as const : undefined;
  const bands = phaseBands(summary, t0);
  const n = summary.desk.boardsReporting;
  const timeAxis = { xLabel: 'time since run start (s)', bands, ...(span ? { x: span } : {}), lightLabel: `each board (${n})`, splitGaps: true };
  const power = overTime(groupByBoard(series.telemetry), summary.window, t0, 'linear');
  const guests = overTime(groupByBoard(series.telemetry.map((r) => ({ board: r.board, at: r.at, powerW: r.guestsRunning }))), summary.window, t0, 'hold');
  const bootsByBoard = new Map<string, number[]>();
  for (const g of series.guestBoots) {
    const list = bootsByBoard.get(g.board);
    if (list) list.push(g.bootMs);
    else bootsByBoard.set(g.board, [g.bootMs]);
  }
  const bySize = [...summary.boards].sort((a, b) => b.energyJ - a.energyJ);
  const perBoot = summary.boards.filter((b) => b.joulesPerGuestBoot !== null).sort((a, b) => b.joulesPerGuestBoot! - a.joulesPerGuestBoot!);
  const deskPerBoot = summary.desk.launch?.joulesPerGuestBoot ?? null;
  return [
    cdfChart('boot-cdf', 'Guest boot time', `Share of guests booted within a given time: the whole desk in bold, ${bootsByBoard.size <= MAX_DISTINCT_LINES ? 'each board its own colour' : 'each board light'}.`,
      { title: 'Guest boot time CDF, whole desk and per board', curves: [{ name: 'whole desk', points: cdfPoints(series.guestBoots.map((g) => g.bootMs)) }], perBoard: bootsByBoard }),
    lineChart('guests-desk', 'Guests running, whole desk', `Sum over boards of the guests each last reported running, as steps. ${GAPS}`,
      { title: 'Guests running on the whole desk over time', description: `Peak ${summary.desk.peakGuestsRunning} guests running; shaded bands are run phases.`,
        yLabel: 'guests running', series: [{ name: 'whole desk', points: guests.total, emphasis: 'bold', step: true }], ...timeAxis }),
    lineChart('guests-board', 'Guests running per board', `Steps, ${boardLines(n)}; the bold line is the mean per reporting board. ${GAPS}`,
      { title: 'Guests running per board over time', description: `${n} boards, one line each, and the mean per board in bold.`,
        yLabel: 'guests running', series: [...guests.perBoard, { name: 'mean per board', points: guests.mean, emphasis: 'bold', step: true }], ...timeAxis }),
    lineChart('power-desk', 'Desk power', `Total power drawn by the boards, from their own sensors; a board that sent nothing for a while is left out of the sum then. ${GAPS}`,
      { title: 'Total desk power over time', description: `Peak ${withUnit(summary.desk.power?.peakW, 'W')}, mean ${withUnit(summary.desk.power?.meanW, 'W')}; shaded bands are run phases.`,
        yLabel: 'power (W)', series: [{ name: 'whole desk', points: power.total, emphasis: 'bold' }], ...timeAxis }),
    lineChart('power-board', 'Power per board', `${boardLines(n)[0]!.toUpperCase()}${boardLines(n).slice(1)}; the bold line is the mean per reporting board. ${GAPS}`,
      { title: 'Power per board over time', description: `${n} boards, one line each, and the mean per board in bold.`,
        yLabel: 'power (W)', series: [...power.perBoard, { name: 'mean per board', points: power.mean, emphasis: 'bold' }], ...timeAxis }),
    barsChart('energy-board', 'Energy per board', 'Energy over the run window (trapezoid over the board\'s power samples, nothing over gaps), highest first.',
      { title: 'Energy per board over the run, sorted', description: `Total ${withUnit(summary.desk.energyJ, 'J')} over ${summary.boards.length} boards.`,
        xLabel: `boards, highest first (${bySize.length})`, yLabel: 'energy (J)', bars: bySize.map((b) => ({ label: b.board, value: b.energyJ })),
        ...(bySize.length ? { reference: { value: summary.desk.energyJ / bySize.length, label: 'mean' } } : {}), valueText: (v) => withUnit(v, 'J') }),
    barsChart('jpb-board', 'Joules per guest boot', 'Launch energy above each board\'s idle power, per guest booted during the launch.',
      { title: 'Joules per guest boot over the idle baseline, per board, sorted', description: `Whole desk: ${withUnit(deskPerBoot, 'J')} per guest boot; ${perBoot.length} boards with a baseline and boots.`,
        xLabel: `boards, highest first (${perBoot.length})`, yLabel: 'energy per guest boot (J)', bars: perBoot.map((b) => ({ label: b.board, value: b.joulesPerGuestBoot! })),
        ...(deskPerBoot !== null ? { reference: { value: deskPerBoot, label: 'whole desk' } } : {}), valueText: (v) => withUnit(v, 'J') }),
  ];
}

/** The desk's total power over a run, seconds from its start: what `compare` overlays. */
export function deskPowerLine(telemetry: readonly TelemetryRow[], window: { from: number; to: number } | null): Point[] {
  return window ? overTime(groupByBoard(telemetry), window, window.from, 'linear').total : [];
}
