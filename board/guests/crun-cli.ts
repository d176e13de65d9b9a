/**
 * Invoking crun: every command goes through the cgroup view, against the board's private
 * state root, with at most `maxConcurrent` crun processes at a time (the kernel serialises
 * namespace and mount setup, so more only adds memory and contention).
 */
import { spawn, type StdioOptions } from 'node:child_process';
import type { CgroupView } from './cgroup-view.ts';

export interface CrunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CrunCli {
  /** Runs `crun --root <root> ...args`; `detached` gives crun no pipes (a guest would inherit them). */
  exec(args: string[], opts?: { global?: string[]; detached?: boolean }): Promise<CrunResult>;
}

export function createCrunCli(o: { crunPath: string; root: string; view: CgroupView; maxConcurrent: number }): CrunCli {
  const limit = limiter(o.maxConcurrent);
  return {
    exec: (args, opts = {}) => limit(() => {
      const cmd = o.view.command([o.crunPath, `--root=${o.root}`, ...(opts.global ?? []), ...args]);
      const out = opts.detached ? 'ignore' : 'pipe';
      const stdio: StdioOptions = ['ignore', out, out, ...cmd.fds];
      return collect(spawn(cmd.file, cmd.args, { stdio }));
    }),
  };
}

function collect(child: ReturnType<typeof spawn>): Promise<CrunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  return new Promise((resolve) => {
    child.once('error', (e) => resolve({ code: null, stdout, stderr: stderr + e.message }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A counting semaphore: runs `fn` once fewer than `max` others run. */
function limiter(max: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
