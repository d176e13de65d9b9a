/**
 * How the host reaches a desk: from a simulated desk's state folder, or from explicit broker
 * options for a real desk. Passwords come from files or the environment, never from argv.
 */
import { readFile } from 'node:fs/promises';
import { deskLayout } from '../locations/layout.ts';
import { DeskStateError, readDeskFile, readLiveRunFile } from '../locations/desk-file.ts';

export type Role = 'host' | 'monitor';

export interface DeskAccess {
  desk: string;
  url: string;
  wsUrl?: string;
  username: string;
  password: string;
  /** Boards the desk is known to have; empty when only the broker is known. */
  boards: string[];
}

export interface AccessOptions {
  state: string;
  broker?: string;
  desk?: string;
  user?: string;
  passwordFile?: string;
}

export async function resolveAccess(opts: AccessOptions, role: Role): Promise<DeskAccess> {
  if (opts.broker) {
    const password = opts.passwordFile ? (await readFile(opts.passwordFile, 'utf8')).trim() : process.env.DESKBOX_PASSWORD;
    if (password === undefined) throw new DeskStateError('--broker needs --password-file or DESKBOX_PASSWORD');
    return { desk: opts.desk ?? 'desk1', url: opts.broker, username: opts.user ?? role, password, boards: [] };
  }
  const layout = deskLayout(opts.state);
  const desk = await readDeskFile(layout);
  const run = await readLiveRunFile(layout);
  if (!run) throw new DeskStateError(`the desk in ${layout.root} is not running (deskbox desk up)`);
  return {
    desk: desk.desk,
    url: `mqtt://${run.host}:${run.tcpPort}`,
    wsUrl: run.wsPort ? `ws://${run.host}:${run.wsPort}/mqtt` : undefined,
    username: role,
    password: (await readFile(layout.credential(role), 'utf8')).trim(),
    boards: desk.boards,
  };
}
