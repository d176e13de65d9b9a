/**
 * Which ports a flash run writes to: devices given by path or by a simple glob
 * (`/dev/ttyUSB*`), or boards of a desk (their console ports, which the desk can also reset
 * and watch): the simulated desk's, or a real desk's from its desk file. The same port twice is
 * one target.
 */
import { readdir } from 'node:fs/promises';
import { resolveBoardSet } from '../client/board-set.ts';
import { basename, dirname, join } from 'node:path';
import { deskLayout } from '../locations/layout.ts';
import type { PortTarget } from './flash-one.ts';

async function expandGlob(pattern: string): Promise<string[]> {
  if (!/[*?]/.test(basename(pattern))) return [pattern];
  const dir = dirname(pattern);
  const re = new RegExp(`^${basename(pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => re.test(n)).sort().map((n) => join(dir, n));
}

/** A real desk's board console as its desk file resolves it (real-desk/console-paths.ts). */
export interface DeskConsole {
  path?: string;
  baud: number;
  hub?: string;
  problem?: string;
}

export interface DeskBoardList {
  boards: string[];
  tags?: Record<string, string[]>;
  /** A real desk's consoles; without them a board's console is the simulated desk's port. */
  consoles?: Map<string, DeskConsole>;
}

/** A port to flash, and what a desk file says of its line; `problem`: it cannot be flashed now, say why. */
export interface FlashTarget extends PortTarget {
  baud?: number;
  hub?: string;
  problem?: string;
}

/** `out`: boards the desk took out of service (host/health/), left out of a board set unless named by id. */
export async function resolveTargets(o: { port?: string[]; ports?: string; boards?: string; state: string }, deskBoards: () => Promise<DeskBoardList>, out: (board: string) => boolean = () => false): Promise<FlashTarget[]> {
  const targets: FlashTarget[] = [];
  for (const p of o.port ?? []) targets.push({ label: p, port: p });
  if (o.ports) {
    const found = await expandGlob(o.ports);
    if (found.length === 0) throw new Error(`no port matches ${o.ports}`);
    for (const p of found) targets.push({ label: p, port: p });
  }
  const desk = o.boards ? await deskBoards() : undefined;
  const boards = desk ? resolveBoardSet(o.boards!, desk.boards, (b) => desk.tags?.[b] ?? [], out) : [];
  const layout = deskLayout(o.state);
  for (const b of boards) {
    const c = desk?.consoles?.get(b);
    if (!desk?.consoles) targets.push({ label: b, port: layout.board(b).consolePort, board: b });
    else if (!c) targets.push({ label: b, port: '-', board: b, problem: 'not a board of the desk file' });
    else targets.push({ label: b, port: c.path ?? '-', board: b, baud: c.baud, ...(c.hub && { hub: c.hub }), ...(c.problem && { problem: c.problem }) });
  }
  if (targets.length === 0) throw new Error('say which boards to flash: --port <dev> (repeatable), --ports \'/dev/ttyUSB*\', or desk boards: --boards b03, b01-b04, tag:name, all');
  const seen = new Set<string>();
  return targets.filter((t) => t.problem !== undefined || (seen.has(t.port) ? false : (seen.add(t.port), true)));
}
