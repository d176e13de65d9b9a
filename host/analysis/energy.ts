/**
 * Energy arithmetic over the power samples boards publish in telemetry. The trapezoid rule
 * matches how the board integrates its own counter (board/telemetry/energy.ts), so the two
 * agree up to sampling: the board integrates every sensor read, the host only what it received.
 */
import { splitRuns } from './gaps.ts';

export interface PowerPoint { t: number /* ms */; watts: number }
export interface TimeWindow { from: number; to: number }
export interface PowerRow { board: string; at: number; powerW: number }
export interface RunMark { name: string; at: number }
export interface PhaseEnergy {
  from: string;
  to: string;
  start: number;
  end: number;
  joules: number;
  byBoard: Record<string, number>;
}

export class EnergyInputError extends Error {
  override readonly name = 'EnergyInputError';
  constructor(readonly fn: string, detail: string) {
    super(`${fn}: ${detail}`);
  }
}

/**
 * Sorted by time, one point per timestamp. Duplicates are averaged rather than kept as a step
 * because their order in the input (arrival order) carries no meaning and must not change the result.
 */
export function preparePoints(fn: string, samples: readonly PowerPoint[]): PowerPoint[] {
  for (const s of samples) {
    if (!Number.isFinite(s.t) || !Number.isFinite(s.watts)) throw new EnergyInputError(fn, `non-finite sample (${s.watts} W at ${s.t} ms)`);
  }
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const out: PowerPoint[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i, sum = 0;
    for (; j < sorted.length && sorted[j]!.t === sorted[i]!.t; j++) sum += sorted[j]!.watts;
    out.push({ t: sorted[i]!.t, watts: sum / (j - i) });
    i = j;
  }
  return out;
}

function checkWindow(fn: string, from: number, to: number): void {
  if (Number.isNaN(from) || Number.isNaN(to)) throw new EnergyInputError(fn, `window bound is NaN (${from}..${to})`);
  if (from > to) throw new EnergyInputError(fn, `window starts after it ends (${from} > ${to} ms)`);
}

/** Linear interpolation on prepared points; undefined outside their span (no extrapolation). */
export function powerAt(points: readonly PowerPoint[], t: number, hint = 0): { watts: number; index: number } | undefined {
  const first = points[0], last = points[points.length - 1];
  if (!first || !last || t < first.t || t > last.t) return undefined;
  let i = Math.min(Math.max(0, hint), points.length - 1);
  if (points[i]!.t > t) i = 0;
  while (i + 1 < points.length && points[i + 1]!.t <= t) i++;
  const a = points[i]!, b = points[i + 1];
  if (!b || a.t === t) return { watts: a.watts, index: i };
  return { watts: a.watts + ((b.watts - a.watts) * (t - a.t)) / (b.t - a.t), index: i };
}

/**
 * Joules between `from` and `to` (ms). Outside the samples' span nothing is counted: inventing
 * power where no board reported would hide gaps that the cross-check is meant to expose.
 */
export function integrateTrapezoid(samples: readonly PowerPoint[], from = -Infinity, to = Infinity): number {
  checkWindow('integrateTrapezoid', from, to);
  const pts = preparePoints('integrateTrapezoid', samples);
  let joules = 0;
  for (let i = 0; i + 1 < pts.length; i++) {
    const p = pts[i]!, q = pts[i + 1]!;
    const a = Math.max(p.t, from), b = Math.min(q.t, to);
    if (b <= a) continue;
    const slope = (q.watts - p.watts) / (q.t - p.t);
    const wa = p.watts + slope * (a - p.t), wb = p.watts + slope * (b - p.t);
    joules += ((wa + wb) / 2) * ((b - a) / 1000);
  }
  return joules;
}

/**
 * Joules over what was measured: the trapezoid rule within each run of samples, nothing over a
 * gap (gaps.ts). A board silent for a reboot drew power then, but how much is not known, and a
 * straight line across the silence would invent it; the board's own counter still shows it.
 */
export function integrateSampled(samples: readonly PowerPoint[], from = -Infinity, to = Infinity): number {
  checkWindow('integrateSampled', from, to);
  return sampledRuns(preparePoints('integrateSampled', samples)).reduce((j, run) => j + integrateTrapezoid(run, from, to), 0);
}

/** Prepared points (sorted, one per time) cut at gaps. */
export function sampledRuns(points: readonly PowerPoint[]): PowerPoint[][] {
  return splitRuns(points, (p) => p.t);
}

export function groupByBoard(rows: readonly PowerRow[]): Map<string, PowerPoint[]> {
  const raw = new Map<string, PowerPoint[]>();
  for (const r of rows) {
    const list = raw.get(r.board) ?? [];
    list.push({ t: r.at, watts: r.powerW });
    raw.set(r.board, list);
  }
  return new Map([...raw].map(([board, pts]) => [board, preparePoints(`groupByBoard(${board})`, pts)]));
}

/** Joules per interval between consecutive marks (sorted by time), whole desk and per board; nothing over gaps. */
export function energyByPhase(samples: readonly PowerRow[], marks: readonly RunMark[]): PhaseEnergy[] {
  const sorted = [...marks].sort((a, b) => a.at - b.at);
  const boards = groupByBoard(samples);
  const phases: PhaseEnergy[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const start = sorted[i]!, end = sorted[i + 1]!;
    const byBoard: Record<string, number> = {};
    let joules = 0;
    for (const [board, pts] of boards) {
      const j = integrateSampled(pts, start.at, end.at);
      byBoard[board] = j;
      joules += j;
    }
    phases.push({ from: start.name, to: end.name, start: start.at, end: end.at, joules, byBoard });
  }
  return phases;
}

/** Median rather than mean so a stray spike (a late guest, a log flush) does not move the baseline. */
export function idleWatts(samples: readonly PowerPoint[], window: TimeWindow): number | null {
  checkWindow('idleWatts', window.from, window.to);
  const w = preparePoints('idleWatts', samples).filter((s) => s.t >= window.from && s.t <= window.to).map((s) => s.watts).sort((a, b) => a - b);
  if (w.length === 0) return null;
  const mid = w.length >> 1;
  return w.length % 2 ? w[mid]! : (w[mid - 1]! + w[mid]!) / 2;
}

/**
 * Energy a guest boot costs above what the boards would have drawn anyway. Kept signed: a
 * negative value means the launch cost is lost in the noise of the baseline, worth seeing.
 */
export function joulesPerGuestBoot(input: { launchJoules: number; idleWatts: number; launchMs: number; guestsBooted: number }): number | null {
  const { launchJoules, idleWatts: idle, launchMs, guestsBooted } = input;
  if (![launchJoules, idle, launchMs, guestsBooted].every(Number.isFinite)) {
    throw new EnergyInputError('joulesPerGuestBoot', `non-finite input ${JSON.stringify(input)}`);
  }
  if (launchMs < 0) throw new EnergyInputError('joulesPerGuestBoot', `negative launch time ${launchMs} ms`);
  if (guestsBooted <= 0) return null;
  return (launchJoules - idle * (launchMs / 1000)) / guestsBooted;
}

/** (integrated - counter) / counter; null when the counter moved by nothing but power was seen. */
export function crossCheck(integrated: number, boardCounterDelta: number): number | null {
  if (!Number.isFinite(integrated) || !Number.isFinite(boardCounterDelta)) return null;
  if (boardCounterDelta === 0) return integrated === 0 ? 0 : null;
  return (integrated - boardCounterDelta) / boardCounterDelta;
}

/**
 * Growth of a board's energy counter. The agent restarts its counter at zero, so a drop is a
 * restart: the new reading is what accrued since, and the gap before it is lost (and counted).
 */
export function counterDelta(samples: readonly { t: number; joules: number }[]): { joules: number; resets: number } {
  const sorted = [...samples].filter((s) => Number.isFinite(s.joules)).sort((a, b) => a.t - b.t);
  let joules = 0, resets = 0;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i]!.joules - sorted[i - 1]!.joules;
    if (d >= 0) joules += d;
    else { resets++; joules += sorted[i]!.joules; }
  }
  return { joules, resets };
}
