import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createProcessRuntime } from '../../board/guests/process-runtime.ts';
import { openReadinessChannel, type ReadinessChannel } from '../../board/guests/readiness.ts';
import { guestSpecs } from '../../board/guests/spec.ts';
import { GuestRuntimeError, type GuestProfile, type RunningGuest } from '../../board/guests/types.ts';
import { systemClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';
import { buildBusyboxRootfs, defaultBusyboxPath } from '../../images/busybox-rootfs.ts';

const profile: GuestProfile = { name: 'light', namespaces: [], cgroups: 'board' };
const work = await tempDir('deskbox-process-');
const root = work.path;
const rootfs = join(root, 'images/busybox');
const started: number[] = [];
const cleanups: Array<() => Promise<void>> = [];

test.before(async () => {
  const busybox = defaultBusyboxPath();
  assert.ok(busybox, 'no busybox on this host (apt-get install busybox-static)');
  await buildBusyboxRootfs({ busybox, dest: rootfs, logger: memoryLogger() });
});

test.after(async () => {
  for (const c of cleanups.reverse()) await c();
  await work.remove();
});

/** A runtime on a fresh state folder, with a real readiness channel collecting ids. */
async function setup(name: string) {
  const stateDir = join(root, name);
  const logger = memoryLogger();
  const ready = new Set<string>();
  const ch: ReadinessChannel = await openReadinessChannel(join(root, `${name}.ready`), (id) => ready.add(id), { clock: systemClock(), logger });
  const deps = { stateDir, readyPath: ch.path, logger, rootfsOf: (image: string) => (image === 'busybox' ? rootfs : undefined) };
  const runtime = createProcessRuntime(deps);
  cleanups.push(async () => {
    for (const g of await runtime.list()) await runtime.stop(g.id, 0);
    await runtime.close();
    await ch.close();
  });
  const start = async (count: number, command?: string[], from = 0) => {
    const out: RunningGuest[] = [];
    for (const spec of guestSpecs({ board: 'b01', desk: 'd1', from, count, image: 'busybox', command, profile })) {
      const g = await runtime.start(spec);
      started.push(g.pid as number);
      out.push(g);
    }
    return out;
  };
  return { stateDir, logger, ready, deps, runtime, start };
}

const ignoresSigterm = (pid: number) =>
  (BigInt('0x' + (/SigIgn:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0')) & (1n << 14n)) !== 0n;

test('guests run the image, signal readiness, and stop', async () => {
  const { stateDir, logger, ready, runtime, start } = await setup('basic');
  const guests = await start(3);
  await waitFor(() => ready.size === 3, { timeoutMs: 5000, what: 'three guests ready' });
  assert.equal([...ready].sort(), ['b01-g0000', 'b01-g0001', 'b01-g0002']);
  for (const g of guests) {
    assert.ok(runtime.alive(g));
    // After the readiness line the shell exec'd the workload: the image's busybox, as sleep.
    await waitFor(() => readFileSync(`/proc/${g.pid}/cmdline`, 'latin1').startsWith('sleep\0'), { timeoutMs: 5000, what: 'exec of sleep' });
    assert.is(readlinkSync(`/proc/${g.pid}/exe`), join(rootfs, 'bin/busybox'));
    assert.is(readlinkSync(`/proc/${g.pid}/cwd`), join(stateDir, 'process', g.id));
  }
  assert.equal((await runtime.list()).map((g) => g.state), ['running', 'running', 'running']);
  const recorded = JSON.parse(await readFile(join(stateDir, 'process-guests.json'), 'utf8')).guests;
  assert.equal(recorded.map((r: RunningGuest) => r.pid), guests.map((g) => g.pid));

  // No grace: killed at once, and no warning about a SIGTERM nobody waited for.
  await runtime.stop(guests[0]!.id, 0);
  for (const g of guests.slice(1)) await runtime.stop(g.id, 2000);
  for (const g of guests) assert.not.ok(runtime.alive(g));
  assert.not.ok(logger.records.some((r) => r.level === 'warn'));
  assert.equal(await runtime.list(), []);
  assert.equal(readdirSync(join(stateDir, 'process')), []);
  assert.equal(JSON.parse(await readFile(join(stateDir, 'process-guests.json'), 'utf8')).guests, []);
  await runtime.stop('b01-g0000', 100); // stopping a stopped guest is a no-op
});

test('a guest that exits at once is not alive and lists as stopped', async () => {
  const { ready, runtime, start } = await setup('exits');
  const [g] = await start(1, ['true']);
  await waitFor(() => !runtime.alive(g!), { timeoutMs: 5000, what: 'guest exit' });
  assert.ok(ready.has('b01-g0000'));
  assert.equal(await runtime.list(), [{ id: 'b01-g0000', pid: g!.pid, state: 'stopped' }]);
  await runtime.stop(g!.id, 100);
  assert.equal(await runtime.list(), []);
});

test('a guest ignoring SIGTERM is killed after the grace period', async () => {
  const { logger, runtime, start } = await setup('stubborn');
  const [g] = await start(1, ['sh', '-c', 'trap "" TERM; exec sleep 1000']);
  await waitFor(() => ignoresSigterm(g!.pid!), { timeoutMs: 5000, what: 'SIGTERM ignored' });
  await runtime.stop(g!.id, 200);
  assert.not.ok(runtime.alive(g!));
  assert.ok(logger.records.some((r) => r.msg === 'guest ignored SIGTERM, killing it'));
});

test('a new runtime on the same state folder lists and stops leftovers, never strangers', async () => {
  const first = await setup('restart');
  const guests = await first.start(2);
  const statePath = join(first.stateDir, 'process-guests.json');
  const state = JSON.parse(await readFile(statePath, 'utf8'));
  // A dead pid, and a live process (this one) whose start time does not match: a recycled pid.
  state.guests.push({ id: 'gone', pid: 2 ** 22 + 1, startTime: '1' }, { id: 'recycled', pid: process.pid, startTime: '1' });
  await writeFile(statePath, JSON.stringify(state));

  const second = createProcessRuntime({ ...first.deps, logger: memoryLogger() });
  const listed = await second.list();
  assert.equal(listed, guests.map((g) => ({ id: g.id, pid: g.pid, state: 'running' })));
  for (const g of listed) assert.ok(second.alive(g));
  for (const g of listed) await second.stop(g.id, 2000);
  for (const g of guests) await waitFor(() => !first.runtime.alive(g), { timeoutMs: 5000, what: `${g.id} gone` });
  assert.equal(await second.list(), []);
  assert.equal(JSON.parse(await readFile(statePath, 'utf8')).guests, []);
  await second.close();
});

test('an unknown image is a GuestRuntimeError and starts nothing', async () => {
  const { runtime, deps } = await setup('unknown');
  const [spec] = guestSpecs({ board: 'b01', desk: 'd1', from: 0, count: 1, image: 'alpine', profile });
  const e = await runtime.start(spec!).catch((x: unknown) => x);
  assert.instance(e, GuestRuntimeError);
  assert.equal([(e as GuestRuntimeError).runtime, (e as GuestRuntimeError).op, (e as GuestRuntimeError).guest], ['process', 'start', 'b01-g0000']);
  assert.match((e as Error).message, /unknown image "alpine"/);
  assert.equal(await runtime.list(), []);
  assert.not.ok(existsSync(join(deps.stateDir, 'process', 'b01-g0000')));
});

test('no guest process is left', async () => {
  assert.ok(started.length >= 7);
  const gone = (pid: number) => !existsSync(`/proc/${pid}`);
  await waitFor(() => started.every(gone), { timeoutMs: 5000, what: 'all guests reaped' });
  // Whatever a guest might have forked carries the test's readiness paths in its environment.
  const strays = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/environ`, 'latin1').includes(`DESKBOX_READY=${root}/`);
    } catch {
      return false;
    }
  });
  assert.equal(strays, []);
});

test.run();
