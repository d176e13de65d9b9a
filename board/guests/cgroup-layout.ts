/**
 * Which cgroup layout the host runs, read from /proc/self/mountinfo. crun handles plain v2 and
 * plain v1 but refuses a hybrid host (v1 controllers plus a cgroup2 mount that holds a
 * controller), so the runtime needs to know which of the three it is on.
 */
import { readFile } from 'node:fs/promises';

export interface CgroupLayout {
  kind: 'v2' | 'v1' | 'hybrid';
  /** Mount points of cgroup2 filesystems: on a hybrid host, what hides the v1 view from crun. */
  cgroup2Mounts: string[];
}

export class CgroupLayoutError extends Error {
  constructor(readonly source: string, detail: string) {
    super(`cgroup layout from ${source}: ${detail}`);
    this.name = 'CgroupLayoutError';
  }
}

/** The cgroup root crun looks at (statfs of it decides v2, v1 or hybrid for crun). */
const CGROUP_ROOT = '/sys/fs/cgroup';

/** mountinfo escapes space, tab, newline and backslash in paths as octal (`\040`). */
const unescape = (path: string) => path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/**
 * Parses mountinfo text: `id parent maj:min root mountpoint opts [optional...] - fstype source superopts`.
 * Later mounts over the same point hide earlier ones, as in the kernel.
 */
export function parseCgroupLayout(mountinfo: string, source = 'mountinfo'): CgroupLayout {
  const fsAt = new Map<string, string>();
  for (const line of mountinfo.split('\n')) {
    const fields = line.trim().split(' ');
    const sep = fields.indexOf('-');
    const mountPoint = fields[4];
    const fsType = fields[sep + 1];
    if (sep < 6 || mountPoint === undefined || fsType === undefined) continue;
    fsAt.set(unescape(mountPoint), fsType);
  }
  const cgroup2Mounts = [...fsAt].filter(([, fs]) => fs === 'cgroup2').map(([mp]) => mp);
  const hasV1 = [...fsAt.values()].includes('cgroup');
  if (fsAt.get(CGROUP_ROOT) === 'cgroup2') return { kind: 'v2', cgroup2Mounts };
  if (hasV1) return { kind: cgroup2Mounts.length > 0 ? 'hybrid' : 'v1', cgroup2Mounts };
  throw new CgroupLayoutError(source, `no cgroup filesystem at ${CGROUP_ROOT}`);
}

export async function readCgroupLayout(path = '/proc/self/mountinfo'): Promise<CgroupLayout> {
  return parseCgroupLayout(await readFile(path, 'utf8'), path);
}
