/**
 * `deskbox image build guest`: a root filesystem folder (or one static busybox made into
 * one) packed into a guest image. The architecture is read from the programs inside, so an
 * armv7 rootfs is never labelled x86_64 by accident.
 */
import { lstat, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../platform/log.ts';
import { buildBusyboxRootfs } from './busybox-rootfs.ts';
import { readElf } from './elf.ts';
import type { Arch } from './format/manifest.ts';
import type { PrivateKey } from './format/keys.ts';
import { listTree, packArchive } from './archive/pack.ts';
import { writeImage, type WrittenImage } from './write-image.ts';

export class GuestBuildError extends Error {
  constructor(readonly out: string, detail: string) {
    super(`building ${out}: ${detail}`);
    this.name = 'GuestBuildError';
  }
}

const MACHINES: Record<number, Arch> = { 40: 'armv7', 183: 'arm64', 62: 'x86_64' };
const PROGRAM_DIRS = ['bin', 'usr/bin', 'sbin', 'usr/sbin'];

export interface GuestBuildOptions {
  out: string;
  rootfs?: string;
  busybox?: string;
  name?: string;
  version?: string;
  arch?: Arch;
  key?: PrivateKey;
  /** Build time for the manifest; defaults to buildTime(). */
  created?: Date;
  logger: Logger;
}

export interface BuiltGuest extends WrittenImage {
  skipped: string[];
  ms: number;
}

/** The architecture of the first ELF program found in the usual places. */
export async function detectArch(rootfs: string): Promise<Arch | undefined> {
  for (const d of PROGRAM_DIRS) {
    const names = await readdir(join(rootfs, d)).catch(() => [] as string[]);
    for (const n of names.sort()) {
      const p = join(rootfs, d, n);
      if (!(await lstat(p)).isFile()) continue;
      const elf = await readElf(p).catch(() => undefined);
      if (elf) return MACHINES[elf.machine];
    }
  }
  return undefined;
}

export async function buildGuestImage(opts: GuestBuildOptions): Promise<BuiltGuest> {
  const started = performance.now();
  const fail = (detail: string) => new GuestBuildError(opts.out, detail);
  if ((opts.rootfs === undefined) === (opts.busybox === undefined)) throw fail('give exactly one of --rootfs <dir> or --busybox <path>');
  let scratch: string | undefined;
  try {
    let rootfs = opts.rootfs!;
    let busyboxVersion: string | undefined;
    if (opts.busybox) {
      await mkdir(dirname(opts.out), { recursive: true });
      scratch = await mkdtemp(join(dirname(opts.out), '.guest-build-'));
      const built = await buildBusyboxRootfs({ busybox: opts.busybox, dest: join(scratch, 'rootfs'), logger: opts.logger });
      rootfs = built.dir;
      busyboxVersion = built.version;
    } else if (!(await stat(rootfs).catch(() => undefined))?.isDirectory()) {
      throw fail(`${rootfs} is not a folder`);
    }
    const arch = opts.arch ?? await detectArch(rootfs);
    if (!arch) throw fail(`no ELF program found in ${PROGRAM_DIRS.join(', ')} to tell the architecture; give --arch armv7|arm64|x86_64`);
    const skipped: string[] = [];
    const sources = await listTree(rootfs, { onSkip: (p, why) => skipped.push(`${p} (${why})`) });
    const name = opts.name ?? (opts.busybox ? 'busybox' : undefined);
    if (!name) throw fail('give the image a --name');
    const version = opts.version ?? busyboxVersion;
    if (!version) throw fail(opts.busybox ? `${opts.busybox} names no "BusyBox v<version>"; give the image a --version` : 'give the image a --version');
    const written = await writeImage({ out: opts.out, fields: { kind: 'guest', name, version, arch }, payload: packArchive(sources), key: opts.key, created: opts.created });
    if (skipped.length > 0) opts.logger.warn('entries a guest image cannot carry were left out', { count: skipped.length, first: skipped[0] });
    return { ...written, skipped, ms: performance.now() - started };
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}
