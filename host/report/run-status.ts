/**
 * How the run went, before any figure: stopped early, killed before it finished, boards left
 * out or lost. A reader must know that a figure covers fewer boards or less time than planned.
 */
import { escapeHtml } from './format.ts';
import { table } from './page.ts';

export interface RunStatus {
  /** The runner wrote its end (absent in a bundle whose runner was killed). */
  complete: boolean;
  aborted: boolean;
  quit: boolean;
  error?: string;
  leftOut: { board: string; reason: string }[];
  lost: { board: string; phase: string; reason: string; at: number }[];
  problems: string[];
}

export function runStatusSection(s: RunStatus, t0: number | undefined): string {
  const notes: string[] = [];
  if (!s.complete) notes.push('The runner stopped without finishing (killed): this report is built from what the store held when it stopped.');
  else if (s.error) notes.push(`The run failed: ${s.error}`);
  else if (s.quit) notes.push('Stopped at once with a second Ctrl-C: guests may have been left running.');
  else if (s.aborted) notes.push('Stopped early (Ctrl-C): the figures cover the run up to the stop.');
  if (s.leftOut.length > 0) notes.push(`${s.leftOut.length} board(s) of the plan's set did not take part: ${s.leftOut.map((b) => b.board).join(', ')}.`);
  if (s.lost.length > 0) notes.push(`${s.lost.length} board(s) were lost during the run; their figures stop where they dropped out.`);
  if (notes.length === 0 && s.problems.length === 0) return '';
  const parts = [`<ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`];
  const rows = [
    ...s.leftOut.map((b) => [b.board, 'left out', 'start', '', b.reason]),
    ...s.lost.map((b) => [b.board, 'lost', b.phase, t0 === undefined ? '' : ((b.at - t0) / 1000).toFixed(1), b.reason]),
  ];
  if (rows.length > 0) parts.push(table(['board', 'what', 'phase', 'at (s)', 'why'], rows));
  if (s.problems.length > 0) parts.push(`<details><summary>${s.problems.length} problem(s) the runner met</summary><pre>${escapeHtml(s.problems.join('\n'))}</pre></details>`);
  return `<section aria-label="How the run went"><h2>How the run went</h2>${parts.join('')}</section>`;
}
