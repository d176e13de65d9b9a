/** Human formatting of board rows, shared by `boards` and `monitor`. */
import Table from 'cli-table3';
import type { BoardRow } from '../client/board-view.ts';
import type { RejectionSummary } from '../client/rejection-tally.ts';

const fixed = (n: number | undefined, digits: number) => (n === undefined ? '-' : n.toFixed(digits));

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** `48/50` ready of running, with failures after a `!`: `48/50 !2`. */
function formatGuests(g: BoardRow['guests']): string {
  if (!g) return '-';
  return `${g.ready ?? g.running}/${g.running}${g.failed ? ` !${g.failed}` : ''}`;
}

export function boardTable(rows: BoardRow[]): string {
  const table = new Table({
    head: ['board', 'state', 'power W', 'energy J', 'uptime', 'cpu %', 'guests', 'version'],
    style: { head: [], border: [] },
    // No rule between rows: a desk of 490 boards should read as a list, not a grid.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const r of rows) {
    table.push([r.board, r.state, fixed(r.powerW, 3), fixed(r.energyJ, 1), formatDuration(r.uptimeS), r.cpu === undefined ? '-' : (r.cpu * 100).toFixed(1), formatGuests(r.guests), r.version ?? '-']);
  }
  return table.toString();
}

/** The desk's sums, and what the view refused, if anything (by reason: `3 rejected: 2 stale, 1 not-json`). */
export function deskTotals(rows: BoardRow[], rejected?: RejectionSummary): string {
  const online = rows.filter((r) => r.state === 'online').length;
  const power = rows.reduce((s, r) => s + (r.powerW ?? 0), 0);
  const energy = rows.reduce((s, r) => s + (r.energyJ ?? 0), 0);
  const reasons = Object.entries(rejected?.byReason ?? {}).filter(([, n]) => n > 0).map(([reason, n]) => `${n} ${reason}`);
  const refused = rejected?.total ? `; ${rejected.total} messages rejected: ${reasons.join(', ')}` : '';
  return `${online}/${rows.length} online, ${power.toFixed(2)} W, ${energy.toFixed(1)} J${refused}`;
}
