/**
 * Gives crun a cgroup layout it accepts without touching the host's mounts. On a hybrid host
 * a throwaway helper makes a mount namespace (slave of the host's, so mounts made later on
 * the host still show) and unmounts the cgroup2 filesystems there; crun then sees plain v1.
 * The runtime keeps the namespace alive with an open /proc/<pid>/ns/mnt descriptor rather
 * than a process: the helper exits as soon as the descriptor is open, so nothing can outlive
 * the agent, even when it is SIGKILLed (the kernel closes the descriptor and frees the
 * namespace). Commands enter it with `nsenter --mount=/proc/self/fd/3`.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Logger } from '../../platform/log.ts';
import type { CgroupLayout } from './cgroup-layout.ts';

/** How to spawn a command so it sees the view: argv[0], the rest, and fds to pass as 3, 4... */
export interface ViewCommand {
  file: string;
  args: string[];
  fds: number[];
}

export interface CgroupView {
  readonly layout: CgroupLayout;
  command(argv: readonly string[]): ViewCommand;
  close(): Promise<void>;
}

export class CgroupViewError extends Error {
  constructor(readonly detail: string) {
    super(`cgroup view: ${detail}`);
    this.name = 'CgroupViewError';
  }
}

const SETUP_TIMEOUT_MS = 5000;
/** Unmounts its arguments, says so, and waits for stdin to close: the runtime's cue to exit. */
const HELPER_SCRIPT = 'for m; do umount "$m" || exit 1; done; echo ready; read _ || :';

export async function openCgroupView(layout: CgroupLayout, logger: Logger): Promise<CgroupView> {
  if (layout.kind !== 'hybrid') {
    return { layout, command: ([file = '', ...args]) => ({ file, args, fds: [] }), close: async () => {} };
  }
  let nsFd: number | undefined = await openPrivateNamespace(layout.cgroup2Mounts);
  logger.debug('cgroup view ready', { hidden: layout.cgroup2Mounts });
  return {
    layout,
    command(argv) {
      if (nsFd === undefined) throw new CgroupViewError('used after close');
      return { file: 'nsenter', args: ['--mount=/proc/self/fd/3', '--', ...argv], fds: [nsFd] };
    },
    async close() {
      if (nsFd !== undefined) closeSync(nsFd);
      nsFd = undefined;
    },
  };
}

/** Runs the helper and returns an open descriptor of its mount namespace. */
async function openPrivateNamespace(unmount: string[]): Promise<number> {
  const helper = spawn('unshare', ['--mount', '--propagation', 'slave', '--', 'sh', '-c', HELPER_SCRIPT, 'sh', ...unmount],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  helper.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const exited = new Promise<void>((resolve) => {
    helper.once('close', () => resolve());
    helper.once('error', (e) => { stderr += e.message; resolve(); });
  });
  try {
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => helper.stdout.once('data', () => resolve(true))),
      exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(resolve, SETUP_TIMEOUT_MS, false).unref()),
    ]);
    if (!ready) {
      helper.kill('SIGKILL');
      throw new CgroupViewError(`helper failed: ${stderr.trim() || `no answer in ${SETUP_TIMEOUT_MS} ms`}`);
    }
    return openSync(`/proc/${helper.pid}/ns/mnt`, 'r');
  } finally {
    helper.stdin.end();
    await exited;
  }
}
