/**
 * The run's charts, from the stored series and the summary: boot-time CDF, guests running,
 * power, and energy per board. Time runs in seconds from the run's first mark so every chart
 * shares one axis and the phase bands line up.
 */
import { deskPowerSeries, groupByBoard, type PowerPoint, type RunMark } from '../analysis/energy.ts';
import type { BootPhaseRow, GuestBootRow, RunSummary, TelemetryRow } from '../analysis/summary.ts';
import { cdfPlot, cdfPoints } from './cdf.ts';
import { formatDuration, withUnit } from './format.ts';
import { barChart } from './svg-bars.ts';
import { type Band, type Series, MAX_POINTS_PER_LINE, linePlot } from './svg-plot.ts';

export interface ReportSeries { telemetry: readonly TelemetryRow[]; guestBoots: readonly GuestBootRow[]; bootPhases: readonly BootPhaseRow[]; marks: readonly RunMark[] }
export interface Chart { id: string; heading: string; caption: string; svg: string }

const PHASE_LABELS: Record<string, string> = {
  'boot-start': 'boot', 'boards-ready': 'idle', 'launch-start': 'launch', 'launch-end': 'settle', 'hold-start': 'hold', 'hold-end': 'stop',
};

export function phaseBands(summary: RunSummary, t0: number): Band[] {
  return summary.phases.map((p) => ({
    from: (p.start - t0) / 1000, to: (p.end - t0) / 1000, label: PHASE_LABELS[p.from] ?? p.from,
    detail: `${p.from} → ${p.to}: ${formatDuration(p.durationMs)}, ${withUnit(p.joules, 'J')}, mean ${withUnit(p.meanW, 'W')}`,
  }));
}

/** Per board line plus the desk total and the mean per reporting board, on one time grid. */
function overTime(boards: Map<string, PowerPoint[]>, window: { from: number; to: number } | null, t0: number) {
  const sec = (t: number) => (t - t0) / 1000;
  const perBoard: Series[] = [...boards].map(([name, pts]) => ({ name, points: pts.map((p) => [sec(p.t), p.watts] as const), emphasis: 'light' }));
  const grid = window && window.to > window.from ? deskPowerSeries(boards, window, MAX_POINTS_PER_LINE) : [];
  const total = grid.filter((g) => g.boards > 0).map((g) => [sec(g.t), g.watts] as const);
  const mean = grid.filter((g) => g.boards > 0).map((g) => [sec(g.t), g.watts / g.boards] as const);
  return { perBoard, total, mean };
}

export function runCharts(summary: RunSummary, series: ReportSeries): Chart[] {
  const t0 = summary.window?.from ?? series.telemetry.reduce((m, r) => Math.min(m, r.at), Infinity);
  const span = summary.window ? [0, summary.window.durationMs / 1000] as const : undefined;
  const bands = phaseBands(summary, t0);
  const n = summary.desk.boardsReporting;
  const timeAxis = { xLabel: 'time since run start (s)', bands, ...(span ? { x: span } : {}), lightLabel: `each board (${n})` };
  const power = overTime(groupByBoard(series.telemetry), summary.window, t0);
  const guests = overTime(groupByBoard(series.telemetry.map((r) => ({ board: r.board, at: r.at, powerW: r.guestsRunning }))), summary.window, t0);
  const bootsByBoard = new Map<string, number[]>();
  for (const g of series.guestBoots) {
    const list = bootsByBoard.get(g.board);
    if (list) list.push(g.bootMs);
    else bootsByBoard.set(g.board, [g.bootMs]);
  }
  const bySize = [...summary.boards].sort((a, b) => b.energyJ - a.energyJ);
  const perBoot = summary.boards.filter((b) => b.joulesPerGuestBoot !== null).sort((a, b) => b.joulesPerGuestBoot! - a.joulesPerGuestBoot!);
  const deskPerBoot = summary.desk.launch?.joulesPerGuestBoot ?? null;
  const chart = (id: string, heading: string, caption: string, svg: string): Chart => ({ id, heading, caption, svg });
  return [
    chart('boot-cdf', 'Guest boot time', 'Share of guests booted within a given time: the whole desk in bold, each board light.',
      cdfPlot({ id: 'boot-cdf', title: 'Guest boot time CDF, whole desk and per board', curves: [{ name: 'whole desk', points: cdfPoints(series.guestBoots.map((g) => g.bootMs)) }], perBoard: bootsByBoard })),
    chart('guests-desk', 'Guests running, whole desk', 'Sum over boards of the guests each reported running, interpolated between samples.',
      linePlot({ id: 'guests-desk', title: 'Guests running on the whole desk over time', description: `Peak ${summary.desk.peakGuestsRunning} guests running; shaded bands are run phases.`,
        yLabel: 'guests running', series: [{ name: 'whole desk', points: guests.total, emphasis: 'bold' }], ...timeAxis })),
    chart('guests-board', 'Guests running per board', 'Each board light; the bold line is the mean per reporting board.',
      linePlot({ id: 'guests-board', title: 'Guests running per board over time', description: `${n} boards, one light line each, and the mean per board in bold.`,
        yLabel: 'guests running', series: [...guests.perBoard, { name: 'mean per board', points: guests.mean, emphasis: 'bold' }], ...timeAxis })),
    chart('power-desk', 'Desk power', 'Total power drawn by all boards, from their own sensors.',
      linePlot({ id: 'power-desk', title: 'Total desk power over time', description: `Peak ${withUnit(summary.desk.power?.peakW, 'W')}, mean ${withUnit(summary.desk.power?.meanW, 'W')}; shaded bands are run phases.`,
        yLabel: 'power (W)', series: [{ name: 'whole desk', points: power.total, emphasis: 'bold' }], ...timeAxis })),
    chart('power-board', 'Power per board', 'Each board light; the bold line is the mean per reporting board.',
      linePlot({ id: 'power-board', title: 'Power per board over time', description: `${n} boards, one light line each, and the mean per board in bold.`,
        yLabel: 'power (W)', series: [...power.perBoard, { name: 'mean per board', points: power.mean, emphasis: 'bold' }], ...timeAxis })),
    chart('energy-board', 'Energy per board', 'Energy over the run (trapezoid over the board\'s power samples), highest first.',
      barChart({ id: 'energy-board', title: 'Energy per board over the run, sorted', description: `Total ${withUnit(summary.desk.energyJ, 'J')} over ${summary.boards.length} boards.`,
        xLabel: `boards, highest first (${bySize.length})`, yLabel: 'energy (J)', bars: bySize.map((b) => ({ label: b.board, value: b.energyJ })),
        ...(bySize.length ? { reference: { value: summary.desk.energyJ / bySize.length, label: 'mean' } } : {}), valueText: (v) => withUnit(v, 'J') })),
    chart('jpb-board', 'Joules per guest boot', 'Launch energy above each board\'s idle power, per guest booted during the launch.',
      barChart({ id: 'jpb-board', title: 'Joules per guest boot over the idle baseline, per board, sorted', description: `Whole desk: ${withUnit(deskPerBoot, 'J')} per guest boot; ${perBoot.length} boards with a baseline and boots.`,
        xLabel: `boards, highest first (${perBoot.length})`, yLabel: 'energy per guest boot (J)', bars: perBoot.map((b) => ({ label: b.board, value: b.joulesPerGuestBoot! })),
        ...(deskPerBoot !== null ? { reference: { value: deskPerBoot, label: 'whole desk' } } : {}), valueText: (v) => withUnit(v, 'J') })),
  ];
}
