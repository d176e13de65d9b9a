/**
 * One run's figures from its stored rows: what becomes summary.json and feeds the report.
 * Everything is measured over the run window (first to last run mark), so per-phase energy
 * adds up to the total and two runs of one plan are compared over like spans.
 */
import { BOOT_PHASES } from '../../broker/contract/payloads.ts';
import { deskPeak } from './desk-power.ts';
import { counterDelta, crossCheck, energyByPhase, groupByBoard, idleWatts, integrateSampled, integrateTrapezoid, joulesPerGuestBoot, sampledRuns, type PowerPoint, type RunMark, type TimeWindow } from './energy.ts';
import { quantiles, summarize, type Stats } from './percentiles.ts';

export type BootPhaseName = (typeof BOOT_PHASES)[number];
export interface TelemetryRow { board: string; at: number; powerW: number; energyJ: number; guestsRunning: number; guestsReady?: number | null; guestsFailed?: number | null }
/** `phase` is a plain string because stored rows are; unknown phases are ignored. */
export interface BootPhaseRow { board: string; phase: string; at: number }
export interface GuestBootRow { board: string; guest: string; bootMs: number; at: number }
export interface GuestFailureRow { board: string; guest: string; at: number; error?: string }
/** The store's counters; any further numeric ones are carried into the summary as they are. */
export interface RunCounts { malformed: number; lostTelemetry: number }
export type SummaryCounts = RunCounts & Record<string, number>;
export interface SummaryInput {
  boards: string[];
  telemetry: TelemetryRow[];
  bootPhases: BootPhaseRow[];
  guestBoots: GuestBootRow[];
  /** When absent, failures come from the highest `guestsFailed` a board reported. */
  guestFailures?: GuestFailureRow[];
  marks: RunMark[];
  counts: RunCounts;
}

export interface BoardSummary {
  board: string;
  /** False for a board that reported without being in the plan: it drew power, so it counts. */
  planned: boolean;
  samples: number;
  energyJ: number;
  counterJ: number | null;
  counterResets: number;
  /** 100 * (host trapezoid - board counter) / board counter, over the board's in-window samples. */
  crossCheckPct: number | null;
  /** First and last of the board's samples within the run window: the span the counter is checked over. */
  sampledFrom: number | null;
  sampledTo: number | null;
  idleW: number | null;
  /** Highest of the board's samples within the window. */
  peakW: number | null;
  /** Time-weighted mean over the same samples (trapezoid over runs without gaps ÷ their length), so never above peakW. */
  meanW: number | null;
  /** power-on to ready, for a power-on within the run window; phase offsets are ms after power-on. */
  bootMs: number | null;
  bootPhaseMs: Partial<Record<BootPhaseName, number>>;
  guestBootMs: Stats | null;
  guestsBooted: number;
  guestsFailed: number;
  peakGuestsRunning: number;
  launchJ: number | null;
  /** Guest boots reported between launch-start and launch-end. */
  launchBoots: number;
  joulesPerGuestBoot: number | null;
}

export interface LaunchFigures { ms: number; joules: number; idleW: number; guestsBooted: number; boardsInBaseline: number; joulesPerGuestBoot: number | null }

export interface RunSummary {
  version: 1;
  window: { from: number; to: number; durationMs: number } | null;
  marks: RunMark[];
  phases: { from: string; to: string; start: number; end: number; durationMs: number; joules: number; meanW: number | null }[];
  desk: {
    boards: number;
    boardsReporting: number;
    energyJ: number;
    counterJ: number;
    /** Over the boards whose counter did not restart in the window. */
    crossCheckPct: number | null;
    /** Sum of per-board idle medians (boards-ready..launch-start). */
    idleW: number | null;
    /**
     * Peak of the summed board power (each board interpolated within its runs of samples, none
     * across gaps), found exactly at sample times; mean is total energy over the window's length.
     */
    power: { peakW: number; meanW: number } | null;
    guestsBooted: number;
    guestsFailed: number;
    peakGuestsRunning: number;
    guestBootMs: Stats | null;
    /** Boot time at percentiles 0, 1, ..., 100: the CDF, small enough to keep and compare. */
    guestBootQuantiles: number[];
    boardBootMs: Stats | null;
    /** Launch window (launch-start..launch-end) over the idle baseline (boards-ready..launch-start). */
    launch: LaunchFigures | null;
  };
  counts: SummaryCounts;
  boards: BoardSummary[];
}

const finite = (x: number | null | undefined): number | null => (x !== null && x !== undefined && Number.isFinite(x) ? x : null);
const markAt = (marks: readonly RunMark[], name: string) => marks.find((m) => m.name === name)?.at;
const groupRows = <T extends { board: string }>(rows: readonly T[]) => {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const list = m.get(r.board);
    if (list) list.push(r);
    else m.set(r.board, [r]);
  }
  return m;
};
/** A loop, not Math.max(...xs): a long run's samples overflow the argument stack. */
const maxOf = (xs: readonly number[], floor = -Infinity) => xs.reduce((m, x) => Math.max(m, x), floor);

/** Time-weighted mean of samples over their runs without gaps; null when they span no time. */
function sampledMean(points: readonly PowerPoint[]): number | null {
  let joules = 0, seconds = 0;
  for (const run of sampledRuns(points)) {
    if (run.length < 2) continue;
    joules += integrateTrapezoid(run);
    seconds += (run[run.length - 1]!.t - run[0]!.t) / 1000;
  }
  return seconds > 0 ? joules / seconds : null;
}

export function runWindow(marks: readonly RunMark[], telemetry: readonly { at: number }[]): TimeWindow | null {
  const times = marks.length >= 2 ? marks.map((m) => m.at) : telemetry.map((r) => r.at);
  if (times.length === 0) return null;
  let from = Infinity, to = -Infinity;
  for (const t of times) { from = Math.min(from, t); to = Math.max(to, t); }
  return { from, to };
}

/**
 * The board's first boot whose power-on lies in the run window. A board that was not power-cycled
 * still reports its last boot (before the run): that boot says nothing about this run.
 */
function boardBoot(rows: readonly BootPhaseRow[], win: TimeWindow | null): { bootMs: number | null; bootPhaseMs: Partial<Record<BootPhaseName, number>> } {
  const sorted = [...rows].sort((a, b) => a.at - b.at);
  const on = win ? sorted.find((r) => r.phase === 'power-on' && r.at >= win.from && r.at <= win.to) : undefined;
  if (!on) return { bootMs: null, bootPhaseMs: {} };
  const bootPhaseMs: Partial<Record<BootPhaseName, number>> = {};
  for (const r of sorted) {
    const phase = r.phase as BootPhaseName;
    if (BOOT_PHASES.includes(phase) && r.at >= on.at && bootPhaseMs[phase] === undefined) bootPhaseMs[phase] = r.at - on.at;
  }
  return { bootMs: bootPhaseMs.ready ?? null, bootPhaseMs };
}

export function summarizeRun(input: SummaryInput): RunSummary {
  const marks = [...input.marks].sort((a, b) => a.at - b.at);
  const win = runWindow(marks, input.telemetry);
  const BOOT_REPORT_DELAY_MS = 2000;
  const inWin = (t: number) => win !== null && t >= win.from && t <= win.to;
  const planned = new Set(input.boards);
  const names = [...input.boards, ...[...new Set(input.telemetry.map((r) => r.board))].filter((b) => !planned.has(b))];
  const power = groupByBoard(input.telemetry);
  const tele = groupRows(input.telemetry), phases = groupRows(input.bootPhases), boots = groupRows(input.guestBoots);
  const failures = input.guestFailures ? groupRows(input.guestFailures) : undefined;
  const ready = markAt(marks, 'boards-ready'), launchStart = markAt(marks, 'launch-start'), launchEnd = markAt(marks, 'launch-end');
  const idleWin = ready !== undefined && launchStart !== undefined && ready <= launchStart ? { from: ready, to: launchStart } : null;
  const launchWin = launchStart !== undefined && launchEnd !== undefined && launchStart <= launchEnd ? { from: launchStart, to: launchEnd } : null;

  // Alongside each board: what its counter was checked against, for the desk-wide check.
  const checks: { integrated: number; counter: number }[] = [];
  const boards = names.map((board): BoardSummary => {
    const pts = power.get(board) ?? [];
    const rows = (tele.get(board) ?? []).filter((r) => inWin(r.at));
    const covered = pts.filter((p) => inWin(p.t));
    const energyJ = win ? integrateSampled(pts, win.from, win.to) : 0;
    const counter = rows.length >= 2 ? counterDelta(rows.map((r) => ({ t: r.at, joules: r.energyJ }))) : null;
    const sampled = counter && counter.resets === 0 ? integrateSampled(covered) : null;
    const check = counter && sampled !== null ? crossCheck(sampled, counter.joules) : null;
    if (counter && sampled !== null && check !== null) checks.push({ integrated: sampled, counter: counter.joules });
    const idleW = idleWin ? idleWatts(pts, idleWin) : null;
    const guestBoots = boots.get(board) ?? [];
    const launchJ = launchWin ? integrateSampled(pts, launchWin.from, launchWin.to) : null;
    // Boards report boots in batches about a second apart, so a boot of the launch may be reported just after it.
    const launched = launchWin ? guestBoots.filter((g) => g.at >= launchWin.from && g.at <= launchWin.to + BOOT_REPORT_DELAY_MS).length : 0;
    const perBoot = launchWin && launchJ !== null && idleW !== null
      ? joulesPerGuestBoot({ launchJoules: launchJ, idleWatts: idleW, launchMs: launchWin.to - launchWin.from, guestsBooted: launched }) : null;
    return {
      board, planned: planned.has(board), samples: rows.length, energyJ,
      counterJ: counter ? counter.joules : null, counterResets: counter?.resets ?? 0,
      crossCheckPct: check === null ? null : check * 100,
      sampledFrom: covered[0]?.t ?? null, sampledTo: covered[covered.length - 1]?.t ?? null,
      idleW, peakW: covered.length ? maxOf(covered.map((p) => p.watts)) : null, meanW: sampledMean(covered),
      ...boardBoot(phases.get(board) ?? [], win),
      guestBootMs: summarize(guestBoots.map((g) => g.bootMs)), guestsBooted: guestBoots.length,
      guestsFailed: failures ? (failures.get(board) ?? []).length : maxOf(rows.map((r) => r.guestsFailed ?? 0), 0),
      peakGuestsRunning: maxOf(rows.map((r) => r.guestsRunning), 0),
      launchJ, launchBoots: launched, joulesPerGuestBoot: finite(perBoot),
    };
  });

  const sum = (f: (b: BoardSummary) => number) => boards.reduce((s, b) => s + f(b), 0);
  const energyJ = sum((b) => b.energyJ), durationMs = win ? win.to - win.from : 0;
  const deskCheck = checks.length ? crossCheck(checks.reduce((s, c) => s + c.integrated, 0), checks.reduce((s, c) => s + c.counter, 0)) : null;
  const peakW = win && durationMs > 0 ? deskPeak(power, win) : null;
  const running = win ? deskPeak(groupByBoard(input.telemetry.map((r) => ({ board: r.board, at: r.at, powerW: r.guestsRunning }))), win, 'hold') : null;
  const base = boards.filter((b) => b.idleW !== null && b.launchJ !== null);
  const baseBooted = base.reduce((s, b) => s + b.launchBoots, 0);
  const idleW = boards.some((b) => b.idleW !== null) ? sum((b) => b.idleW ?? 0) : null;
  const baseIdle = base.reduce((s, b) => s + b.idleW!, 0), baseJ = base.reduce((s, b) => s + b.launchJ!, 0);
  const allBoots = input.guestBoots.map((g) => g.bootMs);

  return {
    version: 1,
    window: win ? { ...win, durationMs } : null,
    marks,
    phases: energyByPhase(input.telemetry, marks).map((p) => ({
      from: p.from, to: p.to, start: p.start, end: p.end, durationMs: p.end - p.start, joules: p.joules,
      meanW: p.end > p.start ? p.joules / ((p.end - p.start) / 1000) : null,
    })),
    desk: {
      boards: boards.length, boardsReporting: boards.filter((b) => b.samples > 0).length,
      energyJ, counterJ: sum((b) => b.counterJ ?? 0), crossCheckPct: deskCheck === null ? null : deskCheck * 100, idleW,
      power: peakW !== null ? { peakW, meanW: energyJ / (durationMs / 1000) } : null,
      guestsBooted: allBoots.length, guestsFailed: sum((b) => b.guestsFailed),
      peakGuestsRunning: Math.round(Math.max(0, running ?? 0)),
      guestBootMs: summarize(allBoots), guestBootQuantiles: quantiles(allBoots, 100),
      boardBootMs: summarize(boards.flatMap((b) => (b.bootMs === null ? [] : [b.bootMs]))),
      launch: launchWin && base.length ? {
        ms: launchWin.to - launchWin.from, joules: baseJ, idleW: baseIdle, guestsBooted: baseBooted, boardsInBaseline: base.length,
        joulesPerGuestBoot: finite(joulesPerGuestBoot({ launchJoules: baseJ, idleWatts: baseIdle, launchMs: launchWin.to - launchWin.from, guestsBooted: baseBooted })),
      } : null,
    },
    counts: Object.fromEntries(Object.entries(input.counts).filter(([, n]) => typeof n === 'number' && Number.isFinite(n))) as SummaryCounts,
    boards,
  };
}
