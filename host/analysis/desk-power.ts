/**
 * The whole desk's power (or any per-board quantity summed over boards): each board counted
 * only where it was sampled, within a run of samples (gaps.ts). Boards do not sample in step,
 * so between a board's samples its value is interpolated (power) or held (counts).
 */
import { EnergyInputError, type PowerPoint, type TimeWindow, powerAt, sampledRuns } from './energy.ts';

/** `linear` for power, `hold` for counts (a guest count stays what it was until the next report). */
export type Between = 'linear' | 'hold';

function checkFinite(fn: string, window: TimeWindow): void {
  if (!Number.isFinite(window.from) || !Number.isFinite(window.to)) throw new EnergyInputError(fn, 'window must be finite');
  if (window.from > window.to) throw new EnergyInputError(fn, `window starts after it ends (${window.from} > ${window.to} ms)`);
}

/** A board's value at `t` inside one run of samples; `hint` is where the last lookup ended. */
function valueIn(run: readonly PowerPoint[], t: number, between: Between, hint: number): { watts: number; index: number } | undefined {
  if (between === 'linear') return powerAt(run, t, hint);
  const first = run[0], last = run[run.length - 1];
  if (!first || !last || t < first.t || t > last.t) return undefined;
  let i = Math.min(Math.max(0, hint), run.length - 1);
  if (run[i]!.t > t) i = 0;
  while (i + 1 < run.length && run[i + 1]!.t <= t) i++;
  return { watts: run[i]!.watts, index: i };
}

/**
 * The desk on an even grid over the window: per cell, the sum over the boards sampled there and
 * how many they were. A board in a gap is left out (unknown is not zero watts), so `boards`
 * says how many the sum covers.
 */
export function deskPowerSeries(boards: ReadonlyMap<string, readonly PowerPoint[]>, window: TimeWindow, points: number, between: Between = 'linear'): { t: number; watts: number; boards: number }[] {
  checkFinite('deskPowerSeries', window);
  const n = Math.max(2, Math.floor(points));
  const step = (window.to - window.from) / (n - 1);
  const out = Array.from({ length: n }, (_, i) => ({ t: window.from + i * step, watts: 0, boards: 0 }));
  for (const pts of boards.values()) {
    const runs = sampledRuns(pts);
    let r = 0, hint = 0;
    for (const cell of out) {
      while (r < runs.length && runs[r]![runs[r]!.length - 1]!.t < cell.t) { r++; hint = 0; }
      const run = runs[r];
      const v = run ? valueIn(run, cell.t, between, hint) : undefined;
      if (!v) continue;
      hint = v.index;
      cell.watts += v.watts;
      cell.boards++;
    }
  }
  return out;
}

interface Piece { t0: number; w0: number; slope: number }
interface Event { t: number; board: number; piece: Piece; last: boolean }

/**
 * The highest desk sum within the window, exactly: the sum is piecewise linear (or constant)
 * between sample times, so its maximum lies at a sample time or a window edge, and a sweep over
 * all sample times finds it without a grid that could step over a peak. Because the desk's
 * energy integrates the same function, mean power (energy / window) can never exceed this peak.
 * null when no board was sampled within the window.
 */
export function deskPeak(boards: ReadonlyMap<string, readonly PowerPoint[]>, window: TimeWindow, between: Between = 'linear'): number | null {
  checkFinite('deskPeak', window);
  const events: Event[] = [];
  let b = 0;
  for (const pts of boards.values()) {
    for (const run of sampledRuns(pts)) {
      run.forEach((p, i) => {
        const next = run[i + 1];
        const slope = next && between === 'linear' ? (next.watts - p.watts) / (next.t - p.t) : 0;
        // Times relative to the window keep the running sums' terms small.
        events.push({ t: p.t - window.from, board: b, piece: { t0: p.t - window.from, w0: p.watts, slope }, last: !next });
      });
    }
    b++;
  }
  events.sort((x, y) => x.t - y.t);
  const current = new Map<number, Piece>();
  let a = 0, s = 0;
  const put = (board: number, piece: Piece | undefined) => {
    const old = current.get(board);
    if (old) { a -= old.w0 - old.slope * old.t0; s -= old.slope; }
    if (piece) { a += piece.w0 - piece.slope * piece.t0; s += piece.slope; current.set(board, piece); } else current.delete(board);
  };
  const end = window.to - window.from;
  let peak: number | null = null, fromDone = false;
  const consider = (t: number) => { if (current.size > 0) peak = Math.max(peak ?? -Infinity, a + s * t); };
  for (let i = 0; i < events.length;) {
    const t = events[i]!.t;
    if (!fromDone && t > 0) { consider(0); fromDone = true; }
    if (t > end) break;
    let j = i;
    for (; j < events.length && events[j]!.t === t; j++) put(events[j]!.board, events[j]!.piece);
    if (t >= 0) consider(t);
    for (let k = i; k < j; k++) if (events[k]!.last) put(events[k]!.board, undefined);
    i = j;
  }
  if (!fromDone) consider(0);
  consider(end);
  return peak;
}
