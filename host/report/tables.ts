/**
 * The exact figures behind the charts: per phase and per board. Boards fold away once there
 * are more than fit a screen, so the charts stay the first thing a reader meets.
 */
import type { RunSummary } from '../analysis/summary.ts';
import { PHASE_LABELS } from './charts.ts';
import { formatDuration, formatNumber, formatPercent } from './format.ts';
import { table } from './page.ts';

/** Beyond this many boards the table starts folded. */
const OPEN_TABLE_BOARDS = 24;

export function phaseTable(s: RunSummary): string {
  if (s.phases.length === 0) return '<p class="meta">No run marks: the run has no phases.</p>';
  const t0 = s.window?.from ?? s.phases[0]!.start;
  const rows = s.phases.map((p) => [
    `${PHASE_LABELS[p.from] ? `${PHASE_LABELS[p.from]}: ` : ''}${p.from} → ${p.to}`, formatNumber((p.start - t0) / 1000), formatDuration(p.durationMs), formatNumber(p.joules), formatNumber(p.meanW),
  ]);
  rows.push(['whole run', '0', formatDuration(s.window?.durationMs), formatNumber(s.desk.energyJ), formatNumber(s.desk.power?.meanW)]);
  return table(['phase', 'starts at (s)', 'length', 'energy (J)', 'mean power (W)'], rows);
}

export function boardTable(s: RunSummary): string {
  const head = [
    'board', 'samples', 'energy (J)', 'board counter (J)', 'cross-check', 'checked over (s)', 'idle (W)', 'mean (W)', 'peak (W)',
    'boot to ready (ms)', 'guests booted', 'failed', 'guest boot p50 (ms)', 'p95 (ms)', 'max (ms)', 'J per guest boot',
  ];
  const t0 = s.window?.from ?? 0;
  const rows = s.boards.map((b) => [
    b.planned ? b.board : `${b.board} (not in plan)`, String(b.samples), formatNumber(b.energyJ),
    b.counterResets ? `${formatNumber(b.counterJ)} (${b.counterResets} restart${b.counterResets > 1 ? 's' : ''})` : formatNumber(b.counterJ),
    formatPercent(b.crossCheckPct), span(b.sampledFrom, b.sampledTo, t0), formatNumber(b.idleW), formatNumber(b.meanW), formatNumber(b.peakW), formatNumber(b.bootMs),
    String(b.guestsBooted), String(b.guestsFailed), formatNumber(b.guestBootMs?.p50), formatNumber(b.guestBootMs?.p95),
    formatNumber(b.guestBootMs?.max), formatNumber(b.joulesPerGuestBoot),
  ]);
  const open = s.boards.length <= OPEN_TABLE_BOARDS ? ' open' : '';
  return `<details${open}><summary>Figures for each of the ${s.boards.length} boards</summary>${table(head, rows)}</details>`;
}

const span = (from: number | null | undefined, to: number | null | undefined, t0: number) =>
  (from === null || from === undefined || to === null || to === undefined ? '–' : `${formatNumber((from - t0) / 1000)}–${formatNumber((to - t0) / 1000)}`);

/**
 * Which stretch of the run each figure covers: host energy and the boards' counters are only
 * comparable over the same samples, and idle and launch figures over their own phases.
 */
export function windowsTable(s: RunSummary): string {
  const t0 = s.window?.from ?? 0;
  const at = (name: string) => s.marks.find((m) => m.name === name)?.at;
  const row = (figure: string, phase: string, from: number | undefined, to: number | undefined): string[] =>
    [figure, phase, from === undefined ? '–' : formatNumber((from - t0) / 1000), to === undefined ? '–' : formatNumber((to - t0) / 1000),
      from === undefined || to === undefined ? '–' : formatDuration(to - from)];
  const ready = at('boards-ready'), launch = at('launch-start'), launched = at('launch-end');
  const checked = s.boards.filter((b) => b.sampledFrom !== null && b.sampledTo !== null);
  const first = checked.reduce((m, b) => Math.min(m, b.sampledFrom!), Infinity), last = checked.reduce((m, b) => Math.max(m, b.sampledTo!), -Infinity);
  const rows = [
    row('total energy, energy per board, desk mean and peak power', 'whole run (first to last run mark)', s.window?.from, s.window?.to),
    row('host energy vs board counter (cross-check), board mean and peak', 'each board\'s first to last sample in the run (column "checked over")', checked.length ? first : undefined, checked.length ? last : undefined),
    row('idle power', 'idle: boards-ready → launch-start', ready, launch),
    row('energy per guest boot', 'launch: launch-start → launch-end, over the idle power', launch, launched),
  ];
  return table(['figure', 'compared over', 'from (s)', 'to (s)', 'length'], rows, 'Times in seconds since the run started; no energy is counted over a board\'s sample gaps.');
}

export function countsTable(s: RunSummary): string {
  const rows = Object.entries(s.counts).map(([k, v]) => [k, formatNumber(v)]);
  return rows.length ? table(['counter', 'count'], rows) : '';
}
