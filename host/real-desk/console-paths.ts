/**
 * Which device each board's console is, as of now: its stable path followed to the device, or
 * its adapter found by serial number. Problems are per board, so one missing adapter does not
 * stop the others; two boards claiming one device is a problem for both.
 */
import { realpath } from 'node:fs/promises';
import type { RealDesk } from '../locations/desk-yaml.ts';
import { stablePath, type Adapter } from './adapters.ts';

export interface BoardConsole {
  board: string;
  /** What to open: the stable path, or the adapter's stable path found by serial number. */
  path?: string;
  baud: number;
  hub?: string;
  /** The device it leads to now. */
  device?: string;
  /** Why it cannot be used now. */
  problem?: string;
}

export async function resolveConsoles(desk: RealDesk, adapters: () => Promise<Adapter[]>, boards = Object.keys(desk.boards)): Promise<BoardConsole[]> {
  let listed: Promise<Adapter[]> | undefined;
  const resolved = await Promise.all(boards.map(async (board): Promise<BoardConsole> => {
    const spec = desk.boards[board]?.console;
    if (!spec) return { board, baud: 115200, problem: 'no console in the desk file (deskbox desk discover finds it)' };
    const base = { board, baud: spec.baud, ...(spec.hub && { hub: spec.hub }) };
    if (spec.path !== undefined) {
      const device = await realpath(spec.path).catch(() => undefined);
      return device ? { ...base, path: spec.path, device } : { ...base, path: spec.path, problem: `${spec.path} is not there (adapter unplugged, or another USB port?)` };
    }
    const all = await (listed ??= adapters());
    const matches = all.filter((a) => a.serialNumber === spec.serial);
    if (matches.length === 1) return { ...base, path: stablePath(matches[0]!), device: matches[0]!.device };
    const seen = all.flatMap((a) => (a.serialNumber ? [a.serialNumber] : []));
    return { ...base, problem: matches.length === 0
      ? `no USB serial adapter with serial number ${spec.serial} (seen: ${seen.join(', ') || 'none'})`
      : `${matches.length} adapters have serial number ${spec.serial} (${matches.map((m) => m.device).join(', ')}): give a path instead` };
  }));
  return claimedOnce(resolved);
}

/** Two boards on one device would talk over each other: neither gets it. */
function claimedOnce(consoles: BoardConsole[]): BoardConsole[] {
  const claims = new Map<string, string[]>();
  for (const c of consoles) if (c.device && !c.problem) claims.set(c.device, [...(claims.get(c.device) ?? []), c.board]);
  return consoles.map((c) => {
    const owners = c.device ? claims.get(c.device) ?? [] : [];
    return owners.length > 1 ? { ...c, problem: `${owners.join(' and ')} both claim ${c.device}${c.path && c.path !== c.device ? ` (${c.path})` : ''}` } : c;
  });
}
