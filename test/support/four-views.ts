/**
 * The four places a desk's boards are shown, read the way their users read them: `deskbox
 * boards --json`, the last line of a running `deskbox monitor --json`, the /metrics text and
 * the dashboard's tiles in a browser. Each gives every board's state and power (the
 * dashboard's to its two shown decimals) and, where shown, its version and what it refused.
 */
import type { Page } from 'playwright-core';
import type { BoardRow } from '../../host/client/board-view.ts';
import type { RejectionSummary } from '../../host/client/rejection-tally.ts';
import { parseExposition } from '../host/exposition.ts';
import { deskbox } from './deskbox.ts';
import { waitFor } from './wait.ts';

export interface ShownBoard {
  board: string;
  state: string;
  version?: string;
  powerW?: number;
}

export interface Shown {
  boards: ShownBoard[];
  /** Messages the view refused so far (`boards` reads only the broker's retained copies). */
  rejected: number;
  /** The same by reason (the dashboard leaves out the reasons it has not seen). */
  reasons?: Record<string, number>;
}

export type ViewName = 'boards' | 'monitor' | 'metrics' | 'dashboard';

const shown = (rows: BoardRow[]): ShownBoard[] => rows.map((r) => ({ board: r.board, state: r.state, version: r.version, powerW: r.powerW }));

export async function boardsView(state: string): Promise<Shown> {
  const out = JSON.parse((await deskbox(['boards', '--json', '--state', state])).stdout) as { boards: BoardRow[]; rejected: RejectionSummary };
  return { boards: shown(out.boards), rejected: out.rejected.total, reasons: out.rejected.byReason };
}

/** The latest whole line a `monitor --json` printed, or undefined before its first. */
export function monitorView(stdout: string): Shown | undefined {
  const line = stdout.split('\n').slice(0, -1).at(-1);
  if (!line) return undefined;
  const out = JSON.parse(line) as { boards: BoardRow[]; rejected: RejectionSummary };
  return { boards: shown(out.boards), rejected: out.rejected.total, reasons: out.rejected.byReason };
}

export async function metricsView(url: string): Promise<Shown> {
  const e = parseExposition(await (await fetch(url)).text());
  const boards = e.series('deskbox_board_up').map((s) => {
    const board = s.labels.board!;
    return { board, state: s.value === 1 ? 'online' : 'not online', powerW: e.value('deskbox_board_power_watts', { board }) };
  });
  const reasons: Record<string, number> = {};
  for (const s of e.series('deskbox_rejected_messages_total')) reasons[s.labels.reason!] = (reasons[s.labels.reason!] ?? 0) + s.value;
  const rejected = Object.values(reasons).reduce((a, b) => a + b, 0);
  return { boards: boards.sort((a, b) => a.board.localeCompare(b.board)), rejected, reasons };
}

export async function dashboardView(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const boards = [...document.querySelectorAll<HTMLElement>('.tile')].map((t) => {
      const watts = /^([\d.]+) W$/.exec(t.children[1]?.textContent ?? '');
      return { board: t.dataset.board!, state: t.dataset.state!, ...(watts ? { powerW: Number(watts[1]) } : {}) };
    });
    const count = document.getElementById('sum-rejected');
    // Its tooltip's first line: `12 not-json, 3 stale`.
    const reasons = Object.fromEntries([...(count?.title.split('\n')[0] ?? '').matchAll(/(\d+) ([a-z-]+)/g)].map((m) => [m[2]!, Number(m[1])]));
    return { boards: boards.sort((a, b) => a.board.localeCompare(b.board)), rejected: Number(count?.textContent), reasons };
  });
}

/** Per board of the desk: what is wrong with it as a view shows it, or ''. */
export type Expect = Map<string, (b: ShownBoard, view: ViewName) => string>;
export type FourViews = Record<ViewName, Shown | undefined>;

/** Reads the four views until every one passes `expect`; on timeout says which did not, and why. */
export async function untilViews(read: () => Promise<FourViews>, what: string, expect: Expect, timeoutMs = 30_000): Promise<FourViews> {
  let last = '';
  return waitFor(async () => {
    const seen = await read();
    last = Object.entries(seen).map(([name, v]) => (v ? mismatches(name as ViewName, v, expect) : `${name}: nothing yet`)).filter(Boolean).join('\n');
    return last === '' ? seen : undefined;
  }, { timeoutMs, what: () => `${what}:\n${last}` });
}

/** What is wrong with `view` against `expect`, or '' when all is right. */
export function mismatches(name: ViewName, view: Shown, expect: Expect): string {
  const problems = [...expect.keys()].filter((b) => !view.boards.some((s) => s.board === b)).map((b) => `${b} missing`);
  for (const b of view.boards) {
    const check = expect.get(b.board);
    const problem = check ? check(b, name) : 'not a board of this desk';
    if (problem) problems.push(`${b.board}: ${problem}`);
  }
  return problems.length ? `${name}: ${problems.join('; ')}` : '';
}
