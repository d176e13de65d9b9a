import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FULL_PROFILE, GUEST_READY_PATH, LIGHT_PROFILE, ociConfig } from '../../board/guests/oci-bundle.ts';
import type { GuestProfile, GuestSpec } from '../../board/guests/types.ts';

interface Mount { destination: string; type: string; source: string; options: string[] }
/** The parts of config.json the tests read. */
interface Config {
  process: { terminal: boolean; args: string[]; env: string[]; rlimits: Array<{ type: string; hard: number; soft: number }> };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: Mount[];
  linux: {
    namespaces: Array<{ type: string }>;
    cgroupsPath?: string;
    resources?: { memory: { limit: number }; pids: { limit: number } };
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

const spec = (profile: GuestProfile, env: Record<string, string> = { ROLE: 'worker' }): GuestSpec => ({
  id: 'b03-g0042', index: 42, image: 'busybox', hostname: 'g0042', env, command: ['/bin/init', '--fast'], profile,
  limits: { memoryBytes: 16 * 1024 * 1024, pids: 32 },
});
const opts = { rootfs: '/images/busybox/rootfs', cgroupsPath: '/deskbox/ab12-b03-g0042' };
const config = (s: GuestSpec) => JSON.parse(JSON.stringify(ociConfig(s, opts))) as Config;
const destinations = (c: Config) => c.mounts.map((m) => m.destination);

test('both profiles: read-only shared root, hostname, argv, no terminal, readiness env', () => {
  for (const profile of [LIGHT_PROFILE, FULL_PROFILE]) {
    const c = config(spec(profile));
    assert.equal(c.root, { path: opts.rootfs, readonly: true });
    assert.is(c.hostname, 'g0042');
    assert.equal(c.process.args, ['/bin/init', '--fast']);
    assert.is(c.process.terminal, false);
    assert.ok(c.process.env.includes('ROLE=worker'));
    assert.ok(c.process.env.includes(`DESKBOX_READY=${GUEST_READY_PATH}`));
    assert.ok(c.process.env.some((e) => e.startsWith('PATH=/')));
  }
});

test('the guest may set PATH but not DESKBOX_READY', () => {
  const c = config(spec(LIGHT_PROFILE, { PATH: '/opt/bin', DESKBOX_READY: '/elsewhere' }));
  assert.equal(c.process.env, ['PATH=/opt/bin', `DESKBOX_READY=${GUEST_READY_PATH}`]);
});

test('rlimits stay under this machine\'s hard limits (nothing on MEMLOCK, modest NOFILE)', () => {
  const { rlimits } = config(spec(FULL_PROFILE)).process;
  assert.equal(rlimits.map((r) => r.type), ['RLIMIT_NOFILE']);
  assert.ok(rlimits.every((r) => r.hard <= 4096 && r.soft <= r.hard));
});

test('readiness goes to descriptor 3 (the FIFO crun preserves), never through a mount', () => {
  for (const profile of [LIGHT_PROFILE, FULL_PROFILE]) {
    const c = config(spec(profile));
    assert.ok(c.process.env.includes(`DESKBOX_READY=${GUEST_READY_PATH}`));
    assert.is(GUEST_READY_PATH, '/proc/self/fd/3');
    assert.not.ok(c.mounts.some((m) => m.type === 'bind'));
    assert.is(c.mounts.find((m) => m.destination === '/tmp')?.type, 'tmpfs');
  }
});

test('light: mount+pid+uts, board cgroup, read-only /proc and a few tmpfs, nothing masked', () => {
  const c = config(spec(LIGHT_PROFILE));
  assert.equal(c.linux.namespaces, [{ type: 'mount' }, { type: 'pid' }, { type: 'uts' }]);
  assert.is(c.linux.cgroupsPath, undefined);
  assert.is(c.linux.resources, undefined);
  assert.equal(destinations(c), ['/proc', '/dev', '/tmp', '/run']);
  assert.ok(c.mounts[0]!.options.includes('ro'), '/proc read-only guards /proc/sys and sysrq-trigger');
  assert.equal([c.linux.maskedPaths, c.linux.readonlyPaths], [[], []]);
});

test('full: all six namespaces, own cgroup with memory and pids limits, /sys read-only, usual masks', () => {
  const c = config(spec(FULL_PROFILE));
  assert.equal(c.linux.namespaces.map((n) => n.type), ['mount', 'pid', 'uts', 'ipc', 'network', 'cgroup']);
  assert.is(c.linux.cgroupsPath, opts.cgroupsPath);
  assert.is(c.linux.resources?.memory.limit, 16 * 1024 * 1024);
  assert.is(c.linux.resources?.pids.limit, 32);
  for (const d of ['/dev/pts', '/dev/shm', '/sys', '/var/tmp']) assert.ok(destinations(c).includes(d), d);
  assert.ok(c.mounts.find((m) => m.destination === '/sys')!.options.includes('ro'));
  assert.ok(c.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(c.linux.readonlyPaths.includes('/proc/sys'));
  assert.ok(config(spec(LIGHT_PROFILE)).mounts.length < c.mounts.length);
});

test('a guest-cgroup profile without the network namespace keeps its limits; no uts means no hostname', () => {
  const custom: GuestProfile = { name: 'light', namespaces: ['mount', 'pid'], cgroups: 'guest' };
  const c = config(spec(custom));
  assert.is(c.linux.resources?.memory.limit, 16 * 1024 * 1024);
  assert.is(c.hostname, undefined);
});

test('each config is its own: changing one leaves the next untouched', () => {
  const first = ociConfig(spec(FULL_PROFILE), opts) as Config;
  first.mounts[0]!.options.push('changed');
  first.linux.maskedPaths.length = 0;
  const second = config(spec(FULL_PROFILE));
  assert.not.ok(second.mounts[0]!.options.includes('changed'));
  assert.ok(second.linux.maskedPaths.length > 0);
});

test('the profiles are constants', () => {
  assert.ok(Object.isFrozen(FULL_PROFILE) && Object.isFrozen(LIGHT_PROFILE.namespaces));
});

test.run();
