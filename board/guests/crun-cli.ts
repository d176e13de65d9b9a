/**
 * Invoking crun through a few long-lived launcher shells that run inside the cgroup view.
 * Spawning from the agent costs a fork of a large Node process plus an nsenter exec per
 * command; a launcher forks crun for a fraction of that (measured here: a light guest's
 * sequential start 13.5 -> 8.5 ms, the cost of a shell loop of `crun run -d`). A launcher
 * exits when its stdin closes, so it dies with the agent, at most one crun command later,
 * even when the agent is SIGKILLed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../../platform/log.ts';
import type { CgroupView } from './cgroup-view.ts';

export interface CrunResult {
  /** crun's exit status; null when no crun ran (the launcher died or the cli is closed). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CrunCli {
  /**
   * `crun --root=<root> ...args` (no blanks in any); `detached` gives crun /dev/null for stdio,
   * which a guest inherits, and `fd3` opens that file as its descriptor 3 (for --preserve-fds).
   */
  exec(args: string[], opts?: { detached?: boolean; fd3?: string }): Promise<CrunResult>;
  close(): Promise<void>;
}

export interface CrunCliOptions {
  crunPath: string;
  /** crun's state root: every command gets `--root=<root>` first. */
  root: string;
  view: CgroupView;
  /** Launchers at once; the kernel serialises most of a guest's start, so a few suffice. */
  maxConcurrent: number;
  /** Where launchers leave crun's output for the agent to read (shared by runtimes on one stateDir). */
  scratchDir: string;
  logger: Logger;
}

/**
 * One request a line: `d|c arg...`, or `f <file> arg...` (detached, file on fd 3); words split
 * on blanks, globbing off; answers the exit status. It removes its output files itself, so an
 * agent killed outright leaves none.
 */
const LAUNCHER = `crun=$1 out=$2 err=$3; set -f; trap 'rm -f "$out" "$err"' EXIT
while IFS= read -r line; do
  set -- $line; mode=$1; shift
  case $mode in
    d) "$crun" "$@" </dev/null >/dev/null 2>&1 ;;
    f) f=$1; shift; "$crun" "$@" </dev/null >/dev/null 2>&1 3>"$f" ;;
    *) "$crun" "$@" </dev/null >"$out" 2>"$err" ;;
  esac
  echo $?
done`;

interface Launcher {
  run(line: string): Promise<number | null>;
  out: string;
  err: string;
  end(): Promise<void>;
}

export async function createCrunCli(o: CrunCliOptions): Promise<CrunCli> {
  await mkdir(o.scratchDir, { recursive: true });
  const live = new Set<Launcher>();
  const idle: Launcher[] = [];
  const waiting: Array<(l: Launcher) => void> = [];
  // Two runtimes may share a stateDir for a moment (an agent restarting): file names must not clash.
  const prefix = join(o.scratchDir, randomBytes(4).toString('hex'));
  let serial = 0;
  let closed = false;

  const launch = () => {
    const l = startLauncher(o, `${prefix}-${++serial}`, () => {
      live.delete(l);
      if (idle.includes(l)) idle.splice(idle.indexOf(l), 1);
    });
    live.add(l);
    return l;
  };
  const acquire = async (): Promise<Launcher> =>
    idle.pop() ?? (live.size < o.maxConcurrent ? launch() : new Promise((resolve) => waiting.push(resolve)));
  const release = (l: Launcher) => {
    const next = waiting.shift();
    if (next) next(live.has(l) ? l : launch());
    else if (live.has(l)) idle.push(l);
  };

  return {
    async exec(args, opts = {}) {
      const bad = [...args, ...(opts.fd3 ? [opts.fd3] : [])].find((a) => a === '' || /\s/.test(a));
      if (closed || bad !== undefined) return { code: null, stdout: '', stderr: closed ? 'crun cli closed' : `argument with blanks: ${JSON.stringify(bad)}` };
      const l = await acquire();
      try {
        const mode = opts.fd3 ? `f ${opts.fd3}` : opts.detached ? 'd' : 'c';
        const code = await l.run(`${mode} --root=${o.root} ${args.join(' ')}`);
        if (code === null) return { code, stdout: '', stderr: 'crun launcher exited' };
        if (opts.detached || opts.fd3) return { code, stdout: '', stderr: '' };
        const [stdout, stderr] = await Promise.all([readFile(l.out, 'utf8'), readFile(l.err, 'utf8')]);
        return { code, stdout, stderr };
      } finally {
        release(l);
      }
    },
    async close() {
      closed = true;
      await Promise.all([...live].map((l) => l.end()));
    },
  };
}

function startLauncher(o: CrunCliOptions, name: string, onExit: () => void): Launcher {
  const out = `${name}.out`;
  const err = `${name}.err`;
  const cmd = o.view.command(['sh', '-c', LAUNCHER, 'sh', o.crunPath, out, err]);
  // Three pipes, then the view's descriptors (which the typings cannot see through).
  const child = spawn(cmd.file, cmd.args, { stdio: ['pipe', 'pipe', 'pipe', ...cmd.fds] }) as ChildProcessWithoutNullStreams;
  let answer: ((code: number | null) => void) | undefined;
  let dead = false;
  const exited = new Promise<void>((resolve) => {
    const done = (why: string) => {
      if (dead) return;
      dead = true;
      onExit();
      answer?.(null);
      o.logger.debug('crun launcher exited', { name, why });
      resolve();
    };
    child.once('error', (e) => done(e.message));
    child.once('close', (code, signal) => done(`${signal ?? code}`));
  });
  child.stdin.on('error', () => {}); // EPIPE after a launcher died: 'close' reports it.
  child.stderr.setEncoding('utf8').on('data', (s: string) => o.logger.warn('crun launcher', { stderr: s.trim() }));
  // An idle launcher must not keep the agent's event loop alive; a busy one must.
  const handles = [child, ...[child.stdin, child.stdout, child.stderr] as unknown as Socket[]];
  const hold = (on: boolean) => handles.forEach((h) => (on ? h.ref() : h.unref()));
  hold(false);
  createInterface({ input: child.stdout }).on('line', (line) => {
    const reply = answer;
    answer = undefined;
    hold(false);
    const code = Number.parseInt(line, 10);
    reply?.(Number.isNaN(code) ? null : code);
  });
  return {
    out,
    err,
    run: (line) => new Promise((resolve) => {
      if (dead) return resolve(null);
      answer = resolve;
      hold(true);
      child.stdin.write(`${line}\n`);
    }),
    end: () => {
      hold(true);
      child.stdin.end();
      return exited;
    },
  };
}
