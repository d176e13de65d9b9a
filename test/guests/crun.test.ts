import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { constants, existsSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryLogger } from '../../platform/log.ts';
import { parseCgroupLayout, readCgroupLayout } from '../../board/guests/cgroup-layout.ts';
import { openCgroupView } from '../../board/guests/cgroup-view.ts';
import { createCrunRuntime } from '../../board/guests/crun.ts';
import { FULL_PROFILE, LIGHT_PROFILE, ociConfig } from '../../board/guests/oci-bundle.ts';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { GuestRuntimeError, type GuestProfile, type GuestRuntime, type GuestSpec } from '../../board/guests/types.ts';
import { makeBusyboxRootfs } from './fixtures/busybox-rootfs.ts';
import { tempDir } from '../support/temp-dir.ts';
import { waitFor } from '../support/wait.ts';

/** A line of the crun launcher's script: how its shells are found in /proc. */
const LAUNCHER_MARK = 'crun=$1 out=$2 err=$3';
const AGENT_FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/abandoning-agent.ts');
const { path: dir, remove: removeDir } = await tempDir('deskbox-crun-');
const stateDir = join(dir, 'state');
const rootfs = await makeBusyboxRootfs(join(dir, 'rootfs'));
const readyPath = join(dir, 'ready');
execFileSync('mkfifo', [readyPath]);
// O_RDWR: the FIFO never sees "no writers", so the reader stays open between guests.
const fifo = new Socket({ fd: openSync(readyPath, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
const lines: string[] = [];
let partial = '';
fifo.setEncoding('utf8').on('data', (s: string) => {
  const parts = (partial + s).split('\n');
  partial = parts.pop() ?? '';
  lines.push(...parts);
});

const run = Math.random().toString(36).slice(2, 7);
const ids: string[] = [];
const deps = () => ({ stateDir, readyPath, logger: memoryLogger(), rootfsOf: (image: string) => (image === 'busybox' ? rootfs : undefined) });

/** Signals ready, then reports what it sees of its own box on a second line. */
const REPORT = 'echo "$GUEST" > "$DESKBOX_READY"; '
  + 'echo "$GUEST host=$(hostname) root=$(touch /x 2>/dev/null && echo rw || echo ro) tmp=$(echo ok > /tmp/t && cat /tmp/t)" > "$DESKBOX_READY"; '
  + 'exec sleep 1000';

function spec(name: string, profile: GuestProfile, command = ['sh', '-c', REPORT], image = 'busybox'): GuestSpec {
  const id = `t${run}-${name}`;
  ids.push(id);
  return { id, index: ids.length, image, hostname: `host-${name}`, env: { GUEST: id }, command, profile,
    limits: { memoryBytes: 24 * 1024 * 1024, pids: 32 } };
}

/** This test's guest as list() reports it: tests stay independent when an earlier one failed. */
const listed = async (runtime: GuestRuntime, id: string) => (await runtime.list()).filter((g) => g.id === id);

const reportOf = (id: string) => waitFor(() => lines.find((l) => l.startsWith(`${id} host=`)), { timeoutMs: 5000, what: `report of ${id}`, pollMs: 100 });

/** The guest's cgroup in one v1 controller (or the v2 tree), as a host path. */
function cgroupDir(pid: number | 'self', controller: string): string {
  const own = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  const v2 = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'));
  return own ? `/sys/fs/cgroup/${controller}${own.split(':')[2]}` : `/sys/fs/cgroup${v2!.slice(3)}`;
}

/** The parent of a live process; undefined once it has exited (a zombie counts as exited). */
function parentOf(pid: string): number | undefined {
  try {
    const [state, ppid] = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return state === 'Z' ? undefined : Number(ppid);
  } catch {
    return undefined;
  }
}

/** Live processes whose command line contains `text` (a zombie's is empty). */
function processesMentioning(text: string): string[] {
  return readdirSync('/proc').filter((p) => {
    try {
      return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

async function expectRuntimeError(p: Promise<unknown>, op: string, pattern: RegExp) {
  try {
    await p;
  } catch (e) {
    assert.instance(e, GuestRuntimeError);
    assert.is((e as GuestRuntimeError).op, op);
    assert.match((e as GuestRuntimeError).detail, pattern);
    return;
  }
  assert.unreachable('expected a GuestRuntimeError');
}

let rt: GuestRuntime;

test.before(async () => { rt = await createCrunRuntime(deps()); });

test('this host is hybrid; crun refuses it, the view shows v1 and leaves host mounts alone', async () => {
  const layout = await readCgroupLayout();
  assert.is(layout.kind, 'hybrid');
  const bundle = join(dir, 'bare');
  await writeFileAtomic(join(bundle, 'config.json'), JSON.stringify(ociConfig(spec('bare', FULL_PROFILE), { rootfs })));
  const bare = spawnSync('crun', [`--root=${bundle}`, 'run', `--bundle=${bundle}`, 'bare'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  assert.match(bare.stderr, /hybrid mode not supported/);
  const before = readFileSync('/proc/self/mountinfo', 'utf8');
  const view = await openCgroupView(layout, memoryLogger());
  const cmd = view.command(['cat', '/proc/self/mountinfo']);
  const inside = execFileSync(cmd.file, cmd.args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', ...cmd.fds] });
  assert.is(parseCgroupLayout(inside).kind, 'v1');
  assert.is(readFileSync('/proc/self/mountinfo', 'utf8'), before);
  await view.close();
  assert.is(readFileSync('/proc/self/mountinfo', 'utf8'), before);
});

test('light guest: runs, own hostname, signals ready, read-only root, writable /tmp, board cgroup', async () => {
  const s = spec('light', LIGHT_PROFILE);
  const g = await rt.start(s);
  assert.ok(g.pid && rt.alive(g));
  assert.is(await reportOf(s.id), `${s.id} host=host-light root=ro tmp=ok`);
  assert.ok(lines.includes(s.id), 'the id line arrived');
  assert.is(cgroupDir(g.pid!, 'memory'), cgroupDir('self', 'memory'));
  assert.equal(await listed(rt, s.id), [{ id: s.id, pid: g.pid, state: 'running' }]);
  await rt.stop(s.id, 200);
  assert.not.ok(rt.alive(g));
});

test('full guest: same behaviour, memory limit in its own cgroup; stop removes container, bundle, cgroup', async () => {
  const s = spec('full', FULL_PROFILE);
  const g = await rt.start(s);
  assert.is(await reportOf(s.id), `${s.id} host=host-full root=ro tmp=ok`);
  const memory = cgroupDir(g.pid!, 'memory');
  assert.match(memory, s.id);
  const limitFile = existsSync(join(memory, 'memory.max')) ? 'memory.max' : 'memory.limit_in_bytes';
  assert.is(Number(readFileSync(join(memory, limitFile), 'utf8')), s.limits.memoryBytes);
  assert.ok(existsSync(join(stateDir, 'bundles', s.id, 'config.json')));
  await rt.stop(s.id, 200);
  assert.not.ok(rt.alive(g));
  assert.equal(await listed(rt, s.id), []);
  assert.not.ok(existsSync(join(stateDir, 'bundles', s.id)), 'bundle removed');
  assert.not.ok(existsSync(memory), 'cgroup removed');
});

test('a runtime on the same stateDir adopts a guest left by an earlier one', async () => {
  const s = spec('adopt', LIGHT_PROFILE);
  const a = await createCrunRuntime(deps());
  const g = await a.start(s);
  await a.close();
  const b = await createCrunRuntime(deps());
  try {
    assert.equal(await listed(b, s.id), [{ id: s.id, pid: g.pid, state: 'running' }]);
    assert.ok(b.alive(g));
    await b.stop(s.id, 200);
    assert.equal(await listed(b, s.id), []);
  } finally {
    await b.close();
  }
});

test('an agent killed outright leaves no launcher or namespace behind; its guest is adopted', async () => {
  const s = spec('orphan', LIGHT_PROFILE);
  const agent = spawn(process.execPath, ['--import', 'tsx', AGENT_FIXTURE, stateDir, rootfs, readyPath, JSON.stringify(s)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  agent.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const pid = Number(await waitFor(() => /started (\d+)/.exec(out)?.[1], { timeoutMs: 20_000, what: 'the agent to start its guest', pollMs: 100 }));
  const launchers = processesMentioning(LAUNCHER_MARK).filter((p) => parentOf(p) === agent.pid);
  assert.is(launchers.length, 1);
  agent.kill('SIGKILL');
  // The launcher held the view's namespace open: once it is gone, nothing of the agent is left.
  await waitFor(() => launchers.every((p) => parentOf(p) === undefined), { timeoutMs: 5000, what: 'the agent\'s launcher to exit', pollMs: 100 });
  assert.equal(await listed(rt, s.id), [{ id: s.id, pid, state: 'running' }]);
  await rt.stop(s.id, 0);
  assert.equal(await listed(rt, s.id), []);
});

test('a guest that exits at once is seen not alive, listed stopped, and stops cleanly', async () => {
  const s = spec('exit', LIGHT_PROFILE, ['true']);
  const g = await rt.start(s);
  await waitFor(() => !rt.alive(g), { timeoutMs: 5000, what: 'guest exit', pollMs: 100 });
  assert.equal(await listed(rt, s.id), [{ id: s.id, state: 'stopped' }]);
  await rt.stop(s.id, 200);
  assert.equal(await listed(rt, s.id), []);
});

test('unknown image and crun failures are GuestRuntimeErrors and leave nothing behind', async () => {
  await expectRuntimeError(rt.start(spec('noimage', LIGHT_PROFILE, ['true'], 'nope')), 'start', /unknown image "nope"/);
  const bad = spec('badcmd', FULL_PROFILE, ['/no/such/program']);
  await expectRuntimeError(rt.start(bad), 'start', /\/no\/such\/program/);
  assert.equal(await listed(rt, bad.id), []);
  assert.not.ok(existsSync(join(stateDir, 'bundles', bad.id)));
  await expectRuntimeError(rt.start({ ...bad, id: '../escape' }), 'start', /invalid guest id/);
  // crun opens when a guest first needs it: a broken one fails that guest, and leaves nothing.
  const broken = await createCrunRuntime({ ...deps(), stateDir: join(dir, 'broken'), crunPath: join(dir, 'no-crun') });
  assert.equal(await broken.list(), [], 'nothing to list: crun is not even asked');
  await expectRuntimeError(broken.start(spec('late', LIGHT_PROFILE, ['true'])), 'open', /no-crun does not run/);
  assert.not.ok(existsSync(join(dir, 'broken', 'bundles', 'late')));
  await broken.close();
});

test('afterwards: no container, no mount under the state dir, no guest cgroup, no helper', async () => {
  assert.equal(await rt.list(), []);
  await rt.close();
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(dir), 'no mount under the test dir');
  const leftovers = readdirSync('/sys/fs/cgroup').flatMap((c) => {
    const parent = join('/sys/fs/cgroup', c, 'deskbox');
    return existsSync(parent) ? readdirSync(parent).filter((n) => ids.some((id) => n.includes(id))) : [];
  });
  assert.equal(leftovers, []);
  const nsFds = readdirSync('/proc/self/fd').filter((fd) => {
    try { return readlinkSync(`/proc/self/fd/${fd}`).startsWith('mnt:'); } catch { return false; }
  });
  assert.equal(nsFds, [], 'no mount namespace held open');
  // Neither the view's namespace helper nor a crun launcher shell survives close() (other
  // processes on this machine may run their own: only ours count).
  const ours = (mark: string) => processesMentioning(mark).filter((p) => parentOf(p) === process.pid);
  assert.equal([...ours('echo ready; read _'), ...ours(LAUNCHER_MARK)], []);
  assert.equal(readdirSync(join(stateDir, 'launchers')), [], 'launchers removed their files');
});

test.after(async () => {
  // Whatever a failed test left running: stop it with a fresh runtime, then drop the files.
  try {
    const sweeper = await createCrunRuntime(deps());
    for (const g of await sweeper.list()) await sweeper.stop(g.id, 0);
    await sweeper.close();
  } finally {
    await rt.close();
    fifo.destroy();
    await removeDir();
  }
});

test.run();
