/**
 * Guests on one simulated board, beside the baseline from the same run: a plain shell loop
 * of `crun run -d` of a busybox `sleep` bundle (the bundle `crun spec` makes: all namespaces,
 * a cgroup per container), run inside the same cgroup view crun needs on this host.
 *
 *   rate    N guests launched and all signalled ready from inside, per second
 *   memory  the drop in MemAvailable for 256 idle guests (kernel memory included)
 */
import { execFileSync, execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openGuestService } from '../board/guests/service.ts';
import { answer } from '../board/commands.ts';
import type { GuestsConfig } from '../board/config/board-config.ts';
import { systemClock } from '../platform/clock.ts';
import { createLogger } from '../platform/log.ts';
import { buildBusyboxRootfs, defaultBusyboxPath } from '../images/busybox-rootfs.ts';
import { readCgroupLayout } from '../board/guests/cgroup-layout.ts';
import { median, printRows, spread, type Row } from './lib/stats.ts';

const run = promisify(execFile);
const N = Number(process.env.BENCH_GUESTS ?? 1000);
const BASELINE_N = Number(process.env.BENCH_BASELINE ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const IDLE = 256;
const quiet = createLogger('bench', () => undefined);

const work = await mkdtemp(join(tmpdir(), 'deskbox-bench-guests-'));
const ram = await mkdtemp('/dev/shm/deskbox-bench-');
const imagesDir = join(work, 'images');
await buildBusyboxRootfs({ busybox: defaultBusyboxPath()!, dest: join(imagesDir, 'busybox', 'rootfs'), logger: quiet });

async function memAvailableMB(): Promise<number> {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(await readFile('/proc/meminfo', 'utf8'));
  return Number(m![1]) / 1024;
}

/**
 * MemAvailable once it stops moving: the kernel frees namespaces and cgroups of earlier
 * containers lazily, and a reading taken meanwhile credits that to the guests being measured.
 */
async function settledMemAvailableMB(): Promise<number> {
  // Page cache comes and goes with whatever else the machine does; take it out of the reading.
  execFileSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']);
  let prev = await memAvailableMB();
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await memAvailableMB();
    if (Math.abs(now - prev) < 1) return now;
    prev = now;
  }
  return prev;
}

/** The baseline: a shell loop, crun's default bundle, inside a mount namespace crun accepts. */
async function crunLoop(n: number): Promise<number> {
  const bundle = join(work, 'baseline');
  await rm(bundle, { recursive: true, force: true });
  await mkdir(bundle, { recursive: true });
  execFileSync('crun', ['spec'], { cwd: bundle });
  const config = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
  config.root = { path: join(imagesDir, 'busybox', 'rootfs'), readonly: true };
  config.process.args = ['sleep', '2147483647'];
  config.process.terminal = false;
  delete config.process.rlimits;
  await writeFile(join(bundle, 'config.json'), JSON.stringify(config));
  const root = join(ram, 'baseline-root');
  const hide = (await readCgroupLayout()).cgroup2Mounts.map((m) => `umount ${m};`).join(' ');
  const script = `${hide} t0=$(date +%s%N); for i in $(seq ${n}); do crun --root ${root} run -d --bundle ${bundle} c$i </dev/null >/dev/null 2>&1 || exit 1; done; t1=$(date +%s%N);
    for i in $(seq ${n}); do crun --root ${root} delete --force c$i >/dev/null 2>&1; done; echo $(( (t1 - t0) / 1000000 ))`;
  const { stdout } = await run('unshare', ['--mount', '--propagation', 'slave', '--', 'sh', '-c', script], { maxBuffer: 1 << 20 });
  return n / (Number(stdout.trim()) / 1000);
}

function guestsConfig(profile: 'light' | 'full', maxParallel: number): GuestsConfig {
  return {
    runtime: 'crun', stateDir: join(ram, `${profile}-${maxParallel}`), maxGuests: 4096, maxParallel, profile, stopGraceMs: 500,
    restart: { mode: 'never', maxRestarts: 0, backoffBaseMs: 1000, backoffMaxMs: 1000 },
  };
}

async function deskbox(profile: 'light' | 'full', maxParallel: number, n: number, holdForMemory = false) {
  const service = await openGuestService({
    config: guestsConfig(profile, maxParallel), desk: 'bench', board: 'b01', clock: systemClock(), logger: quiet, onEvents: () => undefined,
    resolveImage: (name) => (name === 'busybox' ? join(imagesDir, 'busybox', 'rootfs') : undefined),
  });
  try {
    const before = holdForMemory ? await settledMemAvailableMB() : 0;
    const r = await answer(service.handlers, 'guests.start', { count: n, waitS: 600 });
    if (r.ready !== n) throw new Error(`${profile}: only ${r.ready}/${n} guests ready`);
    const memMB = holdForMemory ? before - (await settledMemAvailableMB()) : undefined;
    return { rate: n / (r.elapsedMs / 1000), memMB, p50: r.bootMs?.p50 ?? 0 };
  } finally {
    await service.close();
  }
}

const layout = await readCgroupLayout();
const base: number[] = [];
const results = new Map<string, number[]>();
const add = (k: string, v: number) => results.set(k, [...(results.get(k) ?? []), v]);
try {
  for (let i = 0; i < RUNS; i++) {
    add('memory light', (await deskbox('light', 2, IDLE, true)).memMB!);
    add('memory full', (await deskbox('full', 2, IDLE, true)).memMB!);
    base.push(await crunLoop(BASELINE_N));
    for (const [profile, par] of [['light', 1], ['light', 2], ['light', 4], ['full', 2]] as const) add(`${profile}, ${par} in flight`, (await deskbox(profile, par, N)).rate);
  }
} finally {
  await rm(ram, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
}

const rows: Row[] = [{ what: `baseline: shell loop of crun run -d (${BASELINE_N})`, median: median(base), unit: '/s', range: spread(base) }];
for (const [k, v] of results) {
  if (k.startsWith('memory')) continue;
  rows.push({ what: `deskbox ${k} (${N} guests to ready)`, median: median(v), unit: '/s', range: spread(v), note: `${(median(v) / median(base)).toFixed(2)}x baseline` });
}
printRows(`guests on one board, ${RUNS} runs, cgroups ${layout.kind}, medians`, rows);
printRows(`memory for ${IDLE} idle guests (drop in MemAvailable)`, [
  { what: 'light profile', median: median(results.get('memory light')!), unit: 'MB', range: spread(results.get('memory light')!), note: 'target <= 128 MB' },
  { what: 'full profile', median: median(results.get('memory full')!), unit: 'MB', range: spread(results.get('memory full')!) },
]);
