import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { GuestRuntimeError, type GuestRuntime, type GuestSpec, type RunningGuest, type RuntimeDeps } from './types.ts';
import { readProcStat } from '../../platform/proc-stat.ts';

/**
 * The unprivileged fallback runtime, for hosts without crun or root: every guest is a plain
 * child process of the agent. IT ISOLATES NOTHING AND LIMITS NOTHING: guests share the host's
 * filesystem, pids, network and hostname (spec.hostname is ignored), and spec.limits and
 * spec.profile are not applied. What it keeps from an image is its programs: absolute paths in
 * the command resolve inside the image's rootfs and PATH is the image's /bin.
 *
 * A child process cannot be re-parented to a new agent, so guests started by an earlier agent
 * are never adopted. Their pids (with their kernel start times, so a recycled pid is never
 * mistaken for a guest) are kept in `<stateDir>/process-guests.json`: list() reports the live
 * ones and stop() kills them, so a restarted agent can at least clean up.
 */

interface Guest {
  id: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: with the pid, identifies one process for the uptime. */
  startTime?: string;
  dir: string;
  /** Set for guests this runtime started; absent for leftovers of an earlier agent. */
  child?: ChildProcess;
  /** Its image and environment, for `exec`; unknown for leftovers. */
  launch?: { rootfs: string; env: Record<string, string> };
}

/** Why a process guest cannot be on a guest network (board/net). */
export const PROCESS_NO_NETWORKS = 'the process runtime has no network isolation: guests cannot join networks; install crun and run as root';

interface StateRecord { id: string; pid: number; startTime: string }

const STATE_FILE = 'process-guests.json';
/** SIGKILL cannot be ignored; a process still there after this is stuck in the kernel. */
const KILL_WAIT_MS = 5_000;
/** Leftovers are not our children, so no exit event tells us when they are gone. */
const POLL_MS = 20;

export function createProcessRuntime(deps: RuntimeDeps): GuestRuntime {
  const { stateDir, logger } = deps;
  const statePath = join(stateDir, STATE_FILE);
  const guests = new Map<string, Guest>();
  const fail = (op: string, guest: string | undefined, detail: string) => new GuestRuntimeError('process', op, guest, detail);
  const guestDir = (id: string) => join(stateDir, 'process', id);

  // Snapshots are taken when a write runs, in order, so the last write holds the latest state.
  let writes = Promise.resolve();
  const persist = () => {
    const next = writes.then(() => {
      const records: StateRecord[] = [];
      for (const g of guests.values()) if (g.startTime) records.push({ id: g.id, pid: g.pid, startTime: g.startTime });
      return writeFileAtomic(statePath, JSON.stringify({ guests: records }) + '\n');
    });
    writes = next.catch(() => undefined);
    return next;
  };

  // The factory is synchronous; the leftovers are read on first use.
  let loaded: Promise<void> | undefined;
  const load = () => (loaded ??= (async () => {
    const text = await readFile(statePath, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw fail('load', undefined, `reading ${statePath}: ${e.message}`);
    });
    if (text === undefined) return;
    const records = parseState(text);
    if (records === undefined) logger.warn('ignoring an unreadable state file', { path: statePath });
    for (const r of records ?? []) {
      if (readProcStat(r.pid)?.startTime !== r.startTime) continue;
      logger.warn('guest left by an earlier agent is still running', { guest: r.id, pid: r.pid });
      guests.set(r.id, { ...r, dir: guestDir(r.id) });
    }
    await persist();
  })());

  const gone = (g: Guest): boolean => {
    if (g.child) return g.child.exitCode !== null || g.child.signalCode !== null;
    const st = readProcStat(g.pid);
    return st === undefined || st.startTime !== g.startTime || st.state === 'Z';
  };

  /** Sends `signal` and waits up to `ms` for the guest to be gone; false if it is still there. */
  const signalAndWait = async (g: Guest, signal: NodeJS.Signals, ms: number): Promise<boolean> => {
    if (gone(g)) return true;
    // ChildProcess.kill refuses once the child is reaped, so a recycled pid is never hit.
    if (g.child) g.child.kill(signal);
    else signalPid(g.pid, signal);
    const deadline = performance.now() + ms;
    while (!gone(g)) {
      if (performance.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return true;
  };

  return {
    name: 'process',

    async start(spec: GuestSpec): Promise<RunningGuest> {
      if (spec.networks?.length) throw fail('start', spec.id, PROCESS_NO_NETWORKS);
      await load();
      const rootfs = deps.rootfsOf(spec.image);
      if (rootfs === undefined) throw fail('start', spec.id, `unknown image ${JSON.stringify(spec.image)}`);
      const prior = guests.get(spec.id);
      if (prior && !gone(prior)) throw fail('start', spec.id, `already running as pid ${prior.pid}`);
      const [program, ...args] = spec.command;
      if (program === undefined) throw fail('start', spec.id, 'empty command');
      const dir = guestDir(spec.id);
      await mkdir(dir, { recursive: true });
      const env = { ...spec.env, PATH: join(rootfs, 'bin'), DESKBOX_READY: deps.readyPath };
      const child = spawn(inImage(rootfs, program), args, {
        cwd: dir,
        env,
        stdio: 'ignore',
        detached: false,
      });
      // Read before the event loop runs again: until then the child cannot have been reaped.
      const startTime = child.pid === undefined ? undefined : readProcStat(child.pid)?.startTime;
      try {
        await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
      } catch (e) {
        await rm(dir, { recursive: true, force: true });
        throw fail('start', spec.id, (e as Error).message);
      }
      child.on('error', (e) => logger.error('guest process error', { guest: spec.id, error: e.message }));
      const pid = child.pid as number;
      guests.set(spec.id, { id: spec.id, pid, startTime, dir, child, launch: { rootfs, env } });
      await persist();
      logger.info('guest started', { guest: spec.id, pid });
      return { id: spec.id, pid, state: 'running' };
    },

    async stop(id: string, graceMs: number): Promise<void> {
      await load();
      const g = guests.get(id);
      if (!g) return;
      // No grace means kill now: a SIGTERM nobody waits for only adds a spurious warning.
      if (graceMs <= 0 || !(await signalAndWait(g, 'SIGTERM', graceMs))) {
        if (graceMs > 0) logger.warn('guest ignored SIGTERM, killing it', { guest: id, pid: g.pid, graceMs });
        if (!(await signalAndWait(g, 'SIGKILL', KILL_WAIT_MS))) throw fail('stop', id, `pid ${g.pid} still there ${KILL_WAIT_MS} ms after SIGKILL`);
      }
      guests.delete(id);
      await rm(g.dir, { recursive: true, force: true });
      await persist();
      logger.info('guest stopped', { guest: id, pid: g.pid });
    },

    async list(): Promise<RunningGuest[]> {
      await load();
      return [...guests.values()].map((g) => ({ id: g.id, pid: g.pid, state: gone(g) ? 'stopped' : 'running' }));
    },

    alive(guest: RunningGuest): boolean {
      const g = guests.get(guest.id);
      // Our own children: the exit status is already in memory, and a recycled pid cannot fool it.
      if (g?.child && g.pid === guest.pid) return !gone(g);
      return guest.pid !== undefined && signalPid(guest.pid, 0);
    },

    execCommand(id, argv) {
      const g = guests.get(id);
      if (!g || gone(g)) throw fail('exec', id, 'not running');
      if (!g.launch) throw fail('exec', id, 'started by an earlier agent: how it was launched is unknown');
      const [program = '', ...args] = argv;
      // Nothing to enter: the command runs on the board, with the guest's folder, environment and programs.
      return { file: inImage(g.launch.rootfs, program), args, cwd: g.dir, env: g.launch.env };
    },

    async close(): Promise<void> {
      await writes;
    },
  };
}

/** An image's programs: absolute paths resolve inside its rootfs (bare names through PATH, its /bin). */
function inImage(rootfs: string, program: string): string {
  return isAbsolute(program) ? join(rootfs, program) : program;
}

/** Sends a signal to a process that is not our child; false if it no longer exists. */
function signalPid(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (e) {
    // EPERM: it exists but is not ours (a recycled pid); it is certainly not gone.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The records of a state file; undefined when the file is not one. */
function parseState(text: string): StateRecord[] | undefined {
  let guests: unknown;
  try {
    guests = JSON.parse(text)?.guests;
  } catch {
    return undefined;
  }
  if (!Array.isArray(guests)) return undefined;
  return guests.filter((r): r is StateRecord =>
    typeof r?.id === 'string' && Number.isInteger(r?.pid) && r.pid > 0 && typeof r?.startTime === 'string');
}
