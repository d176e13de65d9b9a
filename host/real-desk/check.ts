/**
 * `desk check`: does every board's console open and answer (the agent as that very board, or
 * U-Boot at its prompt), and does every outlet answer? One row per board; a row with problems
 * names each of them.
 */
import pLimit from 'p-limit';
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { PowerOutlet, OutletState } from '../power/outlet.ts';
import type { BoardConsole } from './console-paths.ts';
import { probeConsole, type ConsoleAnswer, type ProbeOptions } from './console-probe.ts';

export interface CheckRow {
  board: string;
  console: string;
  device?: string;
  answer?: ConsoleAnswer;
  outlet?: string;
  outletState?: OutletState;
  problems: string[];
}

export interface CheckDeps {
  openSerial(path: string, baud: number): Promise<SerialLink>;
  /** The board's outlet; undefined when the desk file gives it none. */
  outletOf(board: string): PowerOutlet | undefined;
  /** How to tell U-Boot on this board's console. */
  probeOptions(board: string): ProbeOptions;
  /** Consoles probed at once. */
  parallel: number;
}

export async function checkDesk(consoles: BoardConsole[], deps: CheckDeps): Promise<CheckRow[]> {
  const limit = pLimit(deps.parallel);
  return Promise.all(consoles.map((c) => limit(async () => {
    const row: CheckRow = { board: c.board, console: c.path ?? '-', ...(c.device && { device: c.device }), problems: [] };
    await Promise.all([checkConsole(c, row, deps), checkOutlet(row, deps)]);
    return row;
  })));
}

async function checkConsole(c: BoardConsole, row: CheckRow, deps: CheckDeps): Promise<void> {
  if (c.problem || !c.path) {
    row.problems.push(`console: ${c.problem ?? 'none'}`);
    return;
  }
  let link: SerialLink;
  try {
    link = await deps.openSerial(c.path, c.baud);
  } catch (e) {
    row.problems.push(`console: cannot open ${c.path}: ${(e as Error).message}`);
    return;
  }
  try {
    row.answer = await probeConsole(link, deps.probeOptions(c.board));
  } finally {
    await link.close();
  }
  const a = row.answer;
  if (a.kind === 'agent' && a.board !== c.board) row.problems.push(`console: answers as ${a.board}, not ${c.board} (consoles swapped?)`);
  if (a.kind === 'other') row.problems.push(`console: answers, but neither U-Boot nor the agent ("${a.lastLine}"); check the baud rate (${c.baud})`);
  if (a.kind === 'none') row.problems.push(`console: no answer on ${c.path} (board off, or a loose cable?)`);
}

async function checkOutlet(row: CheckRow, deps: CheckDeps): Promise<void> {
  const outlet = deps.outletOf(row.board);
  if (!outlet) {
    row.problems.push('power: no outlet in the desk file (power: {driver: manual} for a board switched by hand)');
    return;
  }
  row.outlet = outlet.description;
  try {
    row.outletState = await outlet.state();
  } catch (e) {
    row.problems.push(`power: ${(e as Error).message}`);
  }
}

/** What the table says a console answered. */
export function describeAnswer(a: ConsoleAnswer | undefined): string {
  if (!a) return '-';
  switch (a.kind) {
    case 'agent': return `agent ${a.version} as ${a.board}`;
    case 'uboot': return 'U-Boot prompt';
    case 'other': return `"${a.lastLine.slice(0, 40)}"`;
    case 'none': return 'no answer';
  }
}
