/**
 * The exact figures behind the charts: per phase and per board. Boards fold away once there
 * are more than fit a screen, so the charts stay the first thing a reader meets.
 */
import type { RunSummary } from '../analysis/summary.ts';
import { formatDuration, formatNumber, formatPercent } from './format.ts';
import { table } from './page.ts';

/** Beyond this many boards the table starts folded. */
const OPEN_TABLE_BOARDS = 24;

export function phaseTable(s: RunSummary): string {
  if (s.phases.length === 0) return '<p class="meta">No run marks: the run has no phases.</p>';
  const t0 = s.window?.from ?? s.phases[0]!.start;
  const rows = s.phases.map((p) => [
    `${p.from} → ${p.to}`, formatNumber((p.start - t0) / 1000), formatDuration(p.durationMs), formatNumber(p.joules), formatNumber(p.meanW),
  ]);
  rows.push(['whole run', '0', formatDuration(s.window?.durationMs), formatNumber(s.desk.energyJ), formatNumber(s.desk.power?.meanW)]);
  return table(['phase', 'starts at (s)', 'length', 'energy (J)', 'mean power (W)'], rows);
}

export function boardTable(s: RunSummary): string {
  const head = [
    'board', 'samples', 'energy (J)', 'board counter (J)', 'cross-check', 'idle (W)', 'mean (W)', 'peak (W)',
    'boot to ready (ms)', 'guests booted', 'failed', 'guest boot p50 (ms)', 'p95 (ms)', 'max (ms)', 'J per guest boot',
  ];
  const rows = s.boards.map((b) => [
    b.planned ? b.board : `${b.board} (not in plan)`, String(b.samples), formatNumber(b.energyJ),
    b.counterResets ? `${formatNumber(b.counterJ)} (${b.counterResets} restart${b.counterResets > 1 ? 's' : ''})` : formatNumber(b.counterJ),
    formatPercent(b.crossCheckPct), formatNumber(b.idleW), formatNumber(b.meanW), formatNumber(b.peakW), formatNumber(b.bootMs),
    String(b.guestsBooted), String(b.guestsFailed), formatNumber(b.guestBootMs?.p50), formatNumber(b.guestBootMs?.p95),
    formatNumber(b.guestBootMs?.max), formatNumber(b.joulesPerGuestBoot),
  ]);
  const open = s.boards.length <= OPEN_TABLE_BOARDS ? ' open' : '';
  return `<details${open}><summary>Figures for each of the ${s.boards.length} boards</summary>${table(head, rows)}</details>`;
}

export function countsTable(s: RunSummary): string {
  const rows = Object.entries(s.counts).map(([k, v]) => [k, formatNumber(v)]);
  return rows.length ? table(['counter', 'count'], rows) : '';
}
