/**
 * The OCI runtime-spec config.json of one guest. Every mount and namespace costs the kernel
 * time and memory per guest, and a board boots many guests, so the `light` profile keeps
 * only what a guest needs to run safely next to its neighbours; `full` is the usual set.
 */
import type { GuestProfile, GuestSpec } from './types.ts';

/**
 * Where a guest finds the board's readiness FIFO (its DESKBOX_READY): crun hands the FIFO
 * over as descriptor 3 (`--preserve-fds`), which costs less than a bind mount per guest.
 */
export const GUEST_READY_PATH = '/proc/self/fd/3';

export const FULL_PROFILE: GuestProfile = Object.freeze({
  name: 'full',
  namespaces: Object.freeze(['mount', 'pid', 'uts', 'ipc', 'network', 'cgroup']) as GuestProfile['namespaces'],
  cgroups: 'guest',
});

/** Shares the board's network, IPC and cgroup: a guest is one pid tree in its own mount view. */
export const LIGHT_PROFILE: GuestProfile = Object.freeze({
  name: 'light',
  namespaces: Object.freeze(['mount', 'pid', 'uts']) as GuestProfile['namespaces'],
  cgroups: 'board',
});

export interface OciOptions {
  /** The image's shared root filesystem; guests only ever see it read-only. */
  rootfs: string;
  /** Where crun creates the guest's own cgroup (only with cgroups `guest`). */
  cgroupsPath?: string;
}

const GUEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const NO_DEV = ['nosuid', 'noexec', 'nodev'];
/** Small on purpose: guest tmpfs lives in the board's RAM. */
const tmpfs = (destination: string, size: string) =>
  ({ destination, type: 'tmpfs', source: 'tmpfs', options: [...NO_DEV, 'mode=1777', `size=${size}`] });
/** crun creates the usual device nodes here; without it they would land in the shared image. */
const DEV = { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=64k'] };

/**
 * A read-only /proc keeps a guest (uid 0 without capabilities) away from /proc/sys and
 * /proc/sysrq-trigger with one mount instead of a bind and a remount per path.
 */
const LIGHT_MOUNTS = [
  { destination: '/proc', type: 'proc', source: 'proc', options: [...NO_DEV, 'ro'] },
  DEV,
  tmpfs('/tmp', '4m'),
  tmpfs('/run', '1m'),
];

const FULL_MOUNTS = [
  { destination: '/proc', type: 'proc', source: 'proc', options: NO_DEV },
  DEV,
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: [...NO_DEV, 'mode=1777', 'size=1m'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: NO_DEV },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: [...NO_DEV, 'ro'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...NO_DEV, 'relatime', 'ro'] },
  tmpfs('/tmp', '4m'),
  tmpfs('/var/tmp', '4m'),
  tmpfs('/run', '1m'),
];

const FULL_MASKED = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
const FULL_READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The default set Docker and crun give an unprivileged container, but NET_RAW (ownNetworkCaps). */
const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_AUDIT_WRITE'];
/**
 * A guest in a network namespace of its own may ping its peers: a raw socket there reaches only
 * the guest's networks. One sharing the board's network may not: it would see the board's traffic.
 */
const ownNetworkCaps = (spec: GuestSpec) => (spec.netns || spec.profile.namespaces.includes('network') ? [...CAPS, 'CAP_NET_RAW'] : CAPS);

export function ociConfig(spec: GuestSpec, opts: OciOptions): object {
  const { profile } = spec;
  const full = profile.name === 'full';
  const ownCgroup = profile.cgroups === 'guest';
  // A copy: the mount and path tables above are shared by every guest's config.
  return structuredClone({
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: spec.command,
      // The guest may choose its PATH, never where readiness goes.
      env: Object.entries({ PATH: GUEST_PATH, ...spec.env, DESKBOX_READY: GUEST_READY_PATH }).map(([k, v]) => `${k}=${v}`),
      cwd: '/',
      capabilities: { bounding: ownNetworkCaps(spec), effective: ownNetworkCaps(spec), permitted: ownNetworkCaps(spec) },
      // Far below every hard limit: raising a limit past it needs CAP_SYS_RESOURCE.
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: opts.rootfs, readonly: true },
    ...(profile.namespaces.includes('uts') ? { hostname: spec.hostname } : {}),
    mounts: full ? FULL_MOUNTS : LIGHT_MOUNTS,
    linux: {
      // A guest on networks joins the namespace its interfaces were made in, whatever the profile.
      namespaces: [
        ...profile.namespaces.filter((type) => !(spec.netns && type === 'network')).map((type) => ({ type })),
        ...(spec.netns ? [{ type: 'network', path: spec.netns }] : []),
      ],
      ...(ownCgroup ? {
        ...(opts.cgroupsPath ? { cgroupsPath: opts.cgroupsPath } : {}),
        resources: {
          devices: [{ allow: false, access: 'rwm' }],
          memory: { limit: spec.limits.memoryBytes },
          pids: { limit: spec.limits.pids },
        },
      } : {}),
      maskedPaths: full ? FULL_MASKED : [],
      readonlyPaths: full ? FULL_READONLY : [],
    },
  });
}
