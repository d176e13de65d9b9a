/**
 * The desk's side of its pty host (pty-host-main.ts): one process holds every console's pty
 * pairs, where each pair used to be a socat of its own. `openPair` gives the same PtyPair as
 * openPtyPair (pty-pair.ts), so the link emulator does not know which made its pairs.
 */
import { fork } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PtyPair } from './pty-pair.ts';
import { packageRoot } from '../locations/package-paths.ts';

export type PtyHostRequest = { id: number; op: 'open' | 'close'; dir: string; name: string };
export type PtyHostReply =
  | { id: number; ok: true; hostPath?: string; boardPath?: string; devices?: string[] }
  | { id: number; ok: false; error: string };

export type OpenPair = (dir: string, name: string) => Promise<PtyPair>;

export interface PtyHost {
  openPair: OpenPair;
  readonly pid: number;
  /** Closes every pair it still holds (their links go) and ends the process. */
  close(): Promise<void>;
}

export class PtyHostError extends Error {
  constructor(detail: string, options?: ErrorOptions) {
    super(`pty host: ${detail}`, options);
    this.name = 'PtyHostError';
  }
}

/** The built pty host (`npm run build`). */
export function ptyHostPath(): string {
  const file = join(packageRoot(), 'dist', 'pty-host.mjs');
  if (!existsSync(file)) throw new PtyHostError(`${file} is missing: run npm run build`);
  return file;
}

const STOP_GRACE_MS = 5000;

export async function startPtyHost(program = ptyHostPath()): Promise<PtyHost> {
  // Its own Node flags only: the caller's (tsx in tests) have no business in a built program.
  const child = fork(program, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const waiting = new Map<number, (r: PtyHostReply) => void>();
  let next = 1;
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exit = signal ? `signal ${signal}` : `code ${code}`;
    for (const settle of waiting.values()) settle({ id: 0, ok: false, error: `it exited (${exit})` });
    waiting.clear();
    resolve();
  }));
  // Referenced only while a request waits: an idle host must not keep the caller's process up.
  const holdWhileWaiting = () => (waiting.size > 0 ? child.channel?.ref() : child.channel?.unref());
  child.on('message', (r: PtyHostReply) => {
    waiting.get(r.id)?.(r);
    waiting.delete(r.id);
    holdWhileWaiting();
  });
  const ask = (req: Omit<PtyHostRequest, 'id'> | { id: 0 }) => new Promise<PtyHostReply>((resolve) => {
    if (exit) return resolve({ id: 0, ok: false, error: `it exited (${exit})` });
    const id = 'op' in req ? next++ : 0;
    waiting.set(id, resolve);
    holdWhileWaiting();
    if ('op' in req) child.send({ ...req, id });
  });
  const ready = await ask({ id: 0 });
  if (!ready.ok) throw new PtyHostError(`did not start: ${ready.error}`);
  child.unref();
  /** Links of the pairs open now: a host that had to be killed cannot remove its own. */
  const links = new Map<string, string[]>();

  const openPair: OpenPair = async (dir, name) => {
    // The same names socat could take, so a desk's folders mean the same whichever made them.
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new PtyHostError(`invalid pty pair name "${name}": use A-Z a-z 0-9 _ . -`);
    const r = await ask({ op: 'open', dir, name });
    if (!r.ok) throw new PtyHostError(`pty pair ${name} in ${dir}: ${r.error}`);
    const key = join(dir, name);
    links.set(key, [r.hostPath!, r.boardPath!]);
    let closing: Promise<void> | undefined;
    return {
      hostPath: r.hostPath!, boardPath: r.boardPath!, pid: child.pid!,
      close: () => (closing ??= ask({ op: 'close', dir, name }).then((c) => {
        links.delete(key);
        if (!c.ok && !exit) throw new PtyHostError(`closing pty pair ${name} in ${dir}: ${c.error}`);
      })),
    };
  };

  return {
    openPair,
    pid: child.pid!,
    close: async () => {
      if (!exit) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      await Promise.all([...links.values()].flat().map((p) => rm(p, { force: true })));
      links.clear();
    },
  };
}
