/**
 * GuestRuntime on crun. Each board keeps its own crun state root and bundles under its
 * stateDir, so list() sees only this board's guests, including those an earlier (killed)
 * agent started: the state root and each bundle's pid file outlive the agent process.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import type { Logger } from '../../platform/log.ts';
import { readCgroupLayout } from './cgroup-layout.ts';
import { openCgroupView, type CgroupView } from './cgroup-view.ts';
import { createCrunCli, type CrunCli } from './crun-cli.ts';
import { ociConfig } from './oci-bundle.ts';
import { GuestRuntimeError, type GuestRuntime, type GuestSpec, type RunningGuest, type RuntimeDeps } from './types.ts';

export interface CrunRuntimeDeps extends RuntimeDeps {
  crunPath?: string;
  /** crun processes at once; the kernel serialises most of a start, so a few are enough. */
  maxConcurrent?: number;
}

/** Ids name folders and cgroups: nothing that could climb out of them. */
const VALID_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
/** After SIGKILL a guest is gone within milliseconds; this only bounds a wedged kernel. */
const KILL_WAIT_MS = 2000;

export async function createCrunRuntime(deps: CrunRuntimeDeps): Promise<GuestRuntime> {
  const log = deps.logger.child('crun');
  const fail = (op: string, id: string | undefined, detail: string) => new GuestRuntimeError('crun', op, id, detail);
  // Launchers get crun's arguments word by word (see crun-cli.ts).
  if (/\s/.test(deps.stateDir)) throw fail('open', undefined, `stateDir must not contain blanks: ${deps.stateDir}`);
  const root = join(deps.stateDir, 'crun');
  const bundles = join(deps.stateDir, 'bundles');
  await mkdir(root, { recursive: true });
  await mkdir(bundles, { recursive: true });
  // Opening crun spawns a helper, its launchers and crun itself: a Node spawn costs tens of ms
  // of a busy machine, and with every board opening at boot this was most of a 490-board desk's
  // start. So crun opens when the first guest needs it; a board without guests never does.
  let opened: Promise<{ view: CgroupView; crun: CrunCli }> | undefined;
  let ready: { view: CgroupView; crun: CrunCli } | undefined;
  const open = () => (opened ??= openCrun(deps, root, log).then(
    (o) => (ready = o),
    (e: Error) => { opened = undefined; throw fail('open', undefined, e.message); },
  ));
  const crun = { exec: async (...args: Parameters<CrunCli['exec']>) => (await open()).crun.exec(...args) };
  // Boards share the host's cgroup tree: name guest cgroups after this board's state dir too.
  const cgroupPrefix = `/deskbox/${createHash('sha256').update(deps.stateDir).digest('hex').slice(0, 8)}-`;
  const starting = new Set<string>();

  const bundleOf = (op: string, id: string) => {
    if (!VALID_ID.test(id)) throw fail(op, id, 'invalid guest id');
    return join(bundles, id);
  };
  const known = (id: string) => stat(join(root, id)).then(() => true, () => false);
  const forget = async (op: string, id: string) => {
    const r = await crun.exec(['delete', '--force', id]);
    if (r.code !== 0) throw fail(op, id, r.stderr.trim() || `crun delete exit ${r.code}`);
  };

  const run = async (spec: GuestSpec, bundle: string, rootfs: string): Promise<RunningGuest> => {
    const config = ociConfig(spec, { rootfs, cgroupsPath: cgroupPrefix + spec.id });
    await writeFileAtomic(join(bundle, 'config.json'), JSON.stringify(config));
    // crun's own errors go to this file: its stderr is the guest's, and must not be our pipe.
    const logFile = join(bundle, 'crun.log');
    const global = [`--log=file:${logFile}`, ...(spec.profile.cgroups === 'board' ? ['--cgroup-manager=disabled'] : [])];
    // The readiness FIFO reaches the guest as its descriptor 3: one bind mount less per guest.
    const r = await crun.exec([...global, 'run', '--detach', '--preserve-fds=1', `--bundle=${bundle}`, `--pid-file=${join(bundle, 'pid')}`, spec.id],
      { fd3: deps.readyPath });
    if (r.code !== 0) {
      const detail = (await readFile(logFile, 'utf8').catch(() => '')).trim() || r.stderr.trim() || `crun run exit ${r.code}`;
      if (await known(spec.id)) await forget('start', spec.id).catch((e: Error) => log.warn('cleanup failed', { id: spec.id, error: e.message }));
      await rm(bundle, { recursive: true, force: true });
      throw fail('start', spec.id, detail);
    }
    const pid = await readPid(bundle);
    log.debug('started', { id: spec.id, pid, profile: spec.profile.name });
    return { id: spec.id, pid, state: 'running' };
  };

  return {
    name: 'crun',

    async start(spec) {
      const bundle = bundleOf('start', spec.id);
      const rootfs = deps.rootfsOf(spec.image);
      if (rootfs === undefined) throw fail('start', spec.id, `unknown image "${spec.image}"`);
      // Without its own cgroup only a pid namespace makes a guest's children die with its init.
      if (spec.profile.cgroups === 'board' && !spec.profile.namespaces.includes('pid')) {
        throw fail('start', spec.id, `profile ${spec.profile.name} shares the board's cgroup, so it needs a pid namespace`);
      }
      if (starting.has(spec.id) || (await known(spec.id))) throw fail('start', spec.id, 'already exists (stop it first)');
      await open();
      starting.add(spec.id);
      try {
        return await run(spec, bundle, rootfs);
      } finally {
        starting.delete(spec.id);
      }
    },

    async stop(id, graceMs) {
      const bundle = bundleOf('stop', id);
      if (await known(id)) {
        const pid = await readPid(bundle);
        const wasRunning = pid !== undefined && running(pid);
        if (wasRunning && graceMs > 0) {
          await crun.exec(['kill', id, 'TERM']);
          await exitsWithin(pid, graceMs);
        }
        // --force sends SIGKILL to what still runs (the whole guest: its pid namespace or
        // cgroup), then removes the cgroup and crun's state.
        await forget('stop', id);
        if (wasRunning && !(await exitsWithin(pid, KILL_WAIT_MS))) log.warn('guest survived SIGKILL', { id, pid });
      }
      await rm(bundle, { recursive: true, force: true });
      log.debug('stopped', { id });
    },

    async list() {
      // crun keeps a folder per container in its root: none, and there is nothing to list.
      if ((await readdir(root)).length === 0) return [];
      const r = await crun.exec(['list', '--format=json']);
      if (r.code !== 0) throw fail('list', undefined, r.stderr.trim() || `crun list exit ${r.code}`);
      try {
        return parseList(r.stdout);
      } catch (e) {
        throw fail('list', undefined, `unreadable crun output: ${(e as Error).message}`);
      }
    },

    alive: (guest) => guest.pid !== undefined && running(guest.pid),

    execCommand(id, argv) {
      // Spawned directly, not through the launchers: their words cannot hold blanks, and a
      // command that runs for minutes would hold a launcher that guest starts need. Same
      // crun, root and cgroup view. `crun exec` puts the command in a session of its own,
      // so its pid file is what a timeout kills.
      const pidFile = join(bundleOf('exec', id), `exec-${randomBytes(4).toString('hex')}.pid`);
      // A guest that runs was started or found by this runtime, which opened crun for it.
      if (!ready) throw fail('exec', id, 'no guest runs on this board');
      return { ...ready.view.command([deps.crunPath ?? 'crun', `--root=${root}`, 'exec', `--pid-file=${pidFile}`, id, ...argv]), pidFile };
    },

    async close() {
      const o = await opened?.catch(() => undefined);
      await o?.crun.close();
      await o?.view.close();
      await removeEmptyParentCgroups();
    },
  };
}

/** The layout, its view and the launchers; checks crun runs there before any guest needs it. */
async function openCrun(deps: CrunRuntimeDeps, root: string, log: Logger): Promise<{ view: CgroupView; crun: CrunCli }> {
  const view = await openCgroupView(await readCgroupLayout(), log);
  const crun = await createCrunCli({
    crunPath: deps.crunPath ?? 'crun', root, view, maxConcurrent: deps.maxConcurrent ?? 2, scratchDir: join(deps.stateDir, 'launchers'), logger: log,
  });
  const version = await crun.exec(['--version']);
  if (version.code === 0) return { view, crun };
  await crun.close();
  await view.close();
  throw new Error(`${deps.crunPath ?? 'crun'} does not run: ${version.stderr.trim() || `exit ${version.code}`}`);
}

function parseList(json: string): RunningGuest[] {
  const entries = JSON.parse(json) as Array<{ id: string; pid: number; status: string }>;
  return entries.map(({ id, pid, status }) => {
    const running = status === 'running' || status === 'paused';
    return running && pid > 0 ? { id, pid, state: 'running' } : { id, state: 'stopped' };
  });
}

async function readPid(bundle: string): Promise<number | undefined> {
  const text = await readFile(join(bundle, 'pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return pid > 0 ? pid : undefined;
}

/**
 * One cheap syscall (alive() runs for every guest every second) that also fails for a zombie:
 * a guest's init is reparented to the host's init, which may reap late or never (this
 * build machine's never does), and `kill(pid, 0)` succeeds on a zombie.
 */
function running(pid: number): boolean {
  try {
    readlinkSync(`/proc/${pid}/root`);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EACCES';
  }
}

async function exitsWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 2; running(pid); delay = Math.min(delay * 2, 50)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(1, deadline - Date.now()))));
  }
  return true;
}

/**
 * crun makes the shared `/deskbox` parent of guest cgroups in every hierarchy and removes only
 * the guests' own. rmdir removes a cgroup only when it is empty, so boards still running
 * guests keep theirs; the last board to close leaves no trace.
 */
async function removeEmptyParentCgroups(root = '/sys/fs/cgroup'): Promise<void> {
  const hierarchies = await readdir(root).catch(() => [] as string[]);
  await Promise.all([root, ...hierarchies.map((h) => join(root, h))].map((dir) => rmdir(join(dir, 'deskbox')).catch(() => undefined)));
}
