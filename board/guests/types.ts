/**
 * The vocabulary of guests: what a board is asked to run (a desired guest), what a runtime
 * reports running, and the runtime interface the supervisor drives. Runtimes (crun, plain
 * processes) implement GuestRuntime; the planner and supervisor never see which one it is.
 */

import type { SpawnCommand } from '../exec/run-command.ts';

/** How much isolation a guest gets; lighter profiles cost the kernel less per guest. */
export interface GuestProfile {
  name: 'full' | 'light';
  /** Linux namespaces the guest gets of its own (the rest it shares with the board). */
  namespaces: Array<'mount' | 'pid' | 'uts' | 'ipc' | 'network' | 'cgroup'>;
  /** `guest`: one cgroup per guest (limits apply per guest); `board`: guests share the board's. */
  cgroups: 'guest' | 'board';
}

export interface GuestLimits {
  memoryBytes: number;
  pids: number;
}

/** Everything needed to start one guest, computed at boot from the board and the guest index. */
export interface GuestSpec {
  /** Unique on the board and stable for an index: `<board>-g<index>`, e.g. `b03-g0042`. */
  id: string;
  index: number;
  image: string;
  hostname: string;
  env: Record<string, string>;
  /** argv inside the guest; runs after the guest has signalled ready. */
  command: string[];
  limits: GuestLimits;
  profile: GuestProfile;
  /** Guest networks it was started with (guests.start); it also joins those net.apply attaches it to. */
  networks?: string[];
  /**
   * The network namespace (a /run/netns path) the guest's network is made in; set just before
   * it starts, never stored: crun joins it whatever the profile.
   */
  netns?: string;
}

export interface RunningGuest {
  id: string;
  /** Host pid of the guest's init, when the runtime knows it. */
  pid?: number;
  state: 'running' | 'stopped';
}

/** Thrown by runtimes; `guest` and `op` say what failed, `detail` carries the tool's own words. */
export class GuestRuntimeError extends Error {
  constructor(readonly runtime: string, readonly op: string, readonly guest: string | undefined, readonly detail: string) {
    super(`${runtime} ${op}${guest ? ` ${guest}` : ''}: ${detail}`);
    this.name = 'GuestRuntimeError';
  }
}

export interface GuestRuntime {
  /** `crun` or `process`: shown in status and docs so users know what isolation they have. */
  readonly name: 'crun' | 'process';
  /** Starts the guest detached; resolves once it runs (not once it is ready). */
  start(spec: GuestSpec): Promise<RunningGuest>;
  /** Signals the guest (SIGTERM, then SIGKILL after graceMs) and removes what start created. */
  stop(id: string, graceMs: number): Promise<void>;
  /** Guests this runtime knows of on this board, including ones left by an earlier agent. */
  list(): Promise<RunningGuest[]>;
  /** Whether the guest's init is still alive (cheap: called for every guest every second). */
  alive(guest: RunningGuest): boolean;
  /** How to run `argv` inside a running guest, for `exec` (throws a GuestRuntimeError where it cannot). */
  execCommand(id: string, argv: readonly string[]): SpawnCommand;
  /** Releases what the runtime itself holds (helper processes, mounts); guests are stopped first. */
  close(): Promise<void>;
}

/** What every runtime is built with. */
export interface RuntimeDeps {
  /** RAM-backed folder (tmpfs on a board) for the runtime's own state: bundles, crun root. */
  stateDir: string;
  /** Folder of an image's read-only root filesystem, or undefined for an unknown image. */
  rootfsOf(image: string): string | undefined;
  /**
   * The board's readiness FIFO. A guest signals ready by writing its id and a newline to the
   * path in its DESKBOX_READY variable; a runtime makes the FIFO reachable there
   * (crun: bind mount at /run/deskbox/ready; process: the host path itself).
   */
  readyPath: string;
  logger: import('../../platform/log.ts').Logger;
}
