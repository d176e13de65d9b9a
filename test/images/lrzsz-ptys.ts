/**
 * The YMODEM tests' real serial setting: a socat pty pair opened with the serialport binding,
 * lrzsz's rb and sb on its ends as on a terminal, and nothing left running after each test.
 */
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { SerialLink } from '../../platform/hal/serial.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { openPtyPair } from '../../host/desk/pty-pair.ts';
import { tempDir } from '../support/temp-dir.ts';

export interface Peer {
  readonly pid: number;
  /** Settles when the program exits; `stderr` is its last words, for failure messages. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** Waits up to `graceMs` for it to leave by itself, then ends it by its pid. */
  stop(graceMs: number): Promise<'exited' | 'killed'>;
}

/** `rb` or `sb` with stdin and stdout on the pty, as on a terminal; `exec` keeps the pid theirs. */
export function lrzsz(program: 'rb' | 'sb', args: string[], cwd: string, ptyPath: string): Peer {
  const child = spawn('sh', ['-c', `exec ${program} "$@" < "$PTY" > "$PTY"`, program, ...args],
    { cwd, env: { ...process.env, PTY: ptyPath }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => { stderr = (stderr + s).slice(-2000); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    pid: child.pid!,
    exited,
    stderr: () => stderr.replace(/\r/g, '\n'),
    async stop(graceMs) {
      if (await within(exited, graceMs)) return 'exited';
      child.kill('SIGKILL');
      await exited;
      return 'killed';
    },
  };
}

export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Ptys { dir: string; open(end: 'host' | 'board'): Promise<SerialLink>; spawn(program: 'rb' | 'sb', args: string[], end: 'host' | 'board'): Peer }

/**
 * A socat pty pair for one test; afterwards socat and every lrzsz are gone, links and files
 * too. `track` learns each pid first, so the caller can still kill them should it crash.
 */
export async function onPtys(track: (pid: number) => void, body: (p: Ptys) => Promise<void>): Promise<void> {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-ymodem-');
  const pair = await openPtyPair(dir, 'ym').catch(async (e: unknown) => {
    await removeDir();
    throw e;
  });
  track(pair.pid);
  const links: SerialLink[] = [];
  const peers: Peer[] = [];
  const pathOf = (end: 'host' | 'board') => (end === 'host' ? pair.hostPath : pair.boardPath);
  try {
    await body({
      dir,
      open: async (end) => { const l = await serialportBinding().open(pathOf(end), { baudRate: 115200 }); links.push(l); return l; },
      spawn: (program, args, end) => { const p = lrzsz(program, args, dir, pathOf(end)); track(p.pid); peers.push(p); return p; },
    });
  } finally {
    for (const p of peers) await p.stop(0);
    for (const l of links) await l.close();
    await pair.close();
    for (const pid of [pair.pid, ...peers.map((p) => p.pid)]) assert.not.ok(alive(pid), `process ${pid} outlived its test`);
    await removeDir();
  }
}

export async function deadline<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  if (!(await within(p, ms))) throw new Error(`${what()} within ${ms} ms`);
  return p;
}
