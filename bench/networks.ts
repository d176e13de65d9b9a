/**
 * Guest networks, each figure beside a baseline from the same run:
 *
 *   rtt         ping p50 guest on board A -> guest on board B over VXLAN, vs two namespaces on one veth
 *   throughput  nc/dd between guests on two boards, vs two namespaces on one bridge; at rate 10mbit vs 10 Mbit/s
 *   delay       a netem delay in the RTT (NOT RUN where the kernel has no netem)
 *   boot rate   crun guests on one network to ready, vs the same guests without networks
 *   memory      MemAvailable drop for 256 networked idle guests, vs 256 without
 *   apply       8 boards x 4 networks x 32 guests: net.apply on every board, then until all reachable
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetApplyArgs, NetworkPart } from '../broker/contract/commands/net.ts';
import { createNetService } from '../board/net/service.ts';
import { pingFrom } from '../board/net/ping.ts';
import { guestNetns } from '../board/net/naming.ts';
import type { BoardGuest } from '../board/net/desired.ts';
import { openGuestService } from '../board/guests/service.ts';
import { answer } from '../board/commands.ts';
import { systemClock } from '../platform/clock.ts';
import { createLogger } from '../platform/log.ts';
import { buildBusyboxRootfs, defaultBusyboxPath } from '../images/busybox-rootfs.ts';
import { makeDeskLan, namespacesLike, sh } from '../test/net/fixture.ts';
import { median, printRows, spread, type Row } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const N = Number(process.env.BENCH_NET_GUESTS ?? 128);
const quiet = createLogger('bench', () => undefined);
const tag = `bn${Math.random().toString(36).slice(2, 6)}`;
const work = await mkdtemp(join(tmpdir(), 'deskbox-bench-net-'));
const ram = await mkdtemp('/dev/shm/deskbox-bench-net-');

const net = (name: string, vni: number, third: number, board: number, extra: Partial<NetworkPart> = {}): NetworkPart => ({
  name, vni, subnet: `10.${third}.0.0/16`, pool: { first: `10.${third}.${board + 1}.0`, size: 250 }, attachCount: 0, attach: [], link: {}, peers: [], ...extra,
});
const part = (networks: NetworkPart[]): NetApplyArgs => ({ topology: { name: 'bench', sha256: 'x' }, networks, routers: [] });

function boardService(b: number, guests: () => BoardGuest[]) {
  return createNetService({ config: { namespace: `${tag}-b${b}`, lanAddress: `172.31.97.${b + 1}`, prefix: `${tag}p${b}`, stateFile: join(work, `b${b}.json`) }, logger: quiet, guests });
}

async function rttP50(fromNs: string, to: string): Promise<number> {
  const r = await pingFrom(fromNs, to, 40, 1000);
  return median(r.rttMs.slice(1));
}

/** Mbit/s of a `bytes` transfer into `toNs`'s listener; the listener is waited for, not slept on. */
async function throughput(fromNs: string, toNs: string, addr: string, bytes = 16 * 1024 * 1024): Promise<number> {
  const server = spawn('ip', ['netns', 'exec', toNs, 'busybox', 'nc', '-l', '-p', '5001', '-e', 'busybox', 'dd', 'if=/dev/zero', 'bs=64k', `count=${bytes / 65536}`], { stdio: 'ignore' });
  try {
    const listening = () => sh(`ip netns exec ${toNs} cat /proc/net/tcp /proc/net/tcp6`).includes(':1389 ');
    for (let i = 0; !listening(); i++) {
      if (i === 250) throw new Error(`throughput: nothing listens on ${toNs} port 5001 after 5 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = performance.now();
    const got = Number(sh(`ip netns exec ${fromNs} busybox nc ${addr} 5001 | wc -c`));
    if (got !== bytes) throw new Error(`throughput: got ${got} of ${bytes} bytes`);
    return (bytes * 8) / ((performance.now() - t0) / 1000) / 1e6;
  } finally {
    server.kill();
  }
}

async function memAvailableMB(): Promise<number> {
  execFileSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']);
  await new Promise((r) => setTimeout(r, 1000));
  return Number(/^MemAvailable:\s+(\d+) kB/m.exec(await readFile('/proc/meminfo', 'utf8'))![1]) / 1024;
}

const lan = makeDeskLan(tag, Array.from({ length: 8 }, (_, b) => ({ ns: `${tag}-b${b}`, lan: `172.31.97.${b + 1}` })));
const rows: Row[] = [];
try {
  // Links: two boards, lan1 across them; the baseline a bare veth pair and a bare bridge.
  const guests = (board: number) => [0, 1].map((index): BoardGuest => ({ id: `g${board}-${index}`, index }));
  const A = boardService(0, () => guests(0));
  const B = boardService(1, () => guests(1));
  const lan1 = (b: number, link = {}) => net('lan1', 101, 1, b, { attachCount: 2, peers: [`172.31.97.${2 - b}`], link });
  await A.apply(part([lan1(0)]));
  await B.apply(part([lan1(1)]));
  const gA = guestNetns(`${tag}p0`, 'g0-0');
  const gB = guestNetns(`${tag}p1`, 'g1-0');
  sh(`ip netns add ${tag}-x && ip netns add ${tag}-y && ip -n ${tag}-x link add v0 type veth peer name v1 netns ${tag}-y && ip -n ${tag}-x addr add 10.99.0.1/24 dev v0 && ip -n ${tag}-y addr add 10.99.0.2/24 dev v1 && ip -n ${tag}-x link set v0 up && ip -n ${tag}-y link set v1 up`);
  sh(`ip netns add ${tag}-br && ip -n ${tag}-br link add br0 type bridge && ip -n ${tag}-br link set br0 up`);
  for (const [z, addr] of [['z1', '10.98.0.1'], ['z2', '10.98.0.2']]) {
    sh(`ip netns add ${tag}-${z} && ip -n ${tag}-br link add ${z}p type veth peer name eth0 netns ${tag}-${z} && ip -n ${tag}-br link set ${z}p master br0 up && ip -n ${tag}-${z} addr add ${addr}/24 dev eth0 && ip -n ${tag}-${z} link set eth0 up`);
  }
  const rtt = { base: [] as number[], vxlan: [] as number[] };
  const tput = { base: [] as number[], vxlan: [] as number[], shaped: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    rtt.base.push(await rttP50(`${tag}-x`, '10.99.0.2'));
    rtt.vxlan.push(await rttP50(gA, '10.1.2.0'));
    tput.base.push(await throughput(`${tag}-z1`, `${tag}-z2`, '10.98.0.2'));
    tput.vxlan.push(await throughput(gA, gB, '10.1.2.0'));
  }
  await A.apply(part([lan1(0, { rate: '10mbit' })]));
  await B.apply(part([lan1(1, { rate: '10mbit' })]));
  for (let i = 0; i < RUNS; i++) tput.shaped.push(await throughput(gA, gB, '10.1.2.0', 4 * 1024 * 1024));
  const netem = (await A.features()).netem;
  rows.push(
    { what: 'baseline: ping p50, two namespaces on one veth', median: median(rtt.base), unit: 'ms', range: spread(rtt.base) },
    { what: 'ping p50, guest on b0 -> guest on b1 over VXLAN', median: median(rtt.vxlan), unit: 'ms', range: spread(rtt.vxlan), note: `${(median(rtt.vxlan) / median(rtt.base)).toFixed(2)}x baseline` },
    { what: 'baseline: nc/dd, two namespaces on one bridge', median: median(tput.base), unit: 'Mbit/s', range: spread(tput.base) },
    { what: 'nc/dd, guest on b0 -> guest on b1 over VXLAN', median: median(tput.vxlan), unit: 'Mbit/s', range: spread(tput.vxlan), note: `${(median(tput.vxlan) / median(tput.base)).toFixed(2)}x baseline` },
    { what: 'nc/dd at rate: 10mbit (across boards)', median: median(tput.shaped), unit: 'Mbit/s', range: spread(tput.shaped), note: `${(100 * (median(tput.shaped) / 10 - 1)).toFixed(1)}% from 10 Mbit/s` },
  );
  if (!netem) process.stdout.write('NOT RUN: delay via netem: this kernel has no netem (tc: "Specified qdisc kind is unknown")\n');
  await A.down();
  await B.down();

  // Apply at scale: 8 boards x 4 networks x 32 guests, bare guest namespaces (no containers).
  const many = (b: number) => Array.from({ length: 32 }, (_, index): BoardGuest => ({ id: `s${b}-${index}`, index }));
  const services = Array.from({ length: 8 }, (_, b) => boardService(b, () => many(b)));
  const scaled = (b: number) => part([1, 2, 3, 4].map((k) => net(`n${k}`, 200 + k, 10 + k, b, { attachCount: 32, peers: Array.from({ length: 8 }, (_, o) => `172.31.97.${o + 1}`).filter((_, o) => o !== b) })));
  const applyMs: number[] = [];
  const reachMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await Promise.all(services.map((s, b) => s.apply(scaled(b))));
    applyMs.push(performance.now() - t0);
    // Every board's first guest reaches the last guest of the next board, on every network.
    const pairs = services.flatMap((_, b) => [1, 2, 3, 4].map((k) => [guestNetns(`${tag}p${b}`, `s${b}-0`), `10.${10 + k}.${((b + 1) % 8) + 1}.31`] as const));
    for (let left = pairs; left.length > 0;) {
      const r = await Promise.all(left.map(async ([ns, to]) => (await pingFrom(ns, to, 1, 500)).received === 1));
      left = left.filter((_, j) => !r[j]);
      if (performance.now() - t0 > 120_000) throw new Error(`${left.length} pairs still unreachable after 120 s`);
    }
    reachMs.push(performance.now() - t0);
    await Promise.all(services.map((s) => s.down()));
  }
  rows.push(
    { what: 'net.apply, 8 boards x 4 networks x 32 guests', median: median(applyMs) / 1000, unit: 's', range: spread(applyMs.map((x) => x / 1000)) },
    { what: '... until every network reachable across boards', median: median(reachMs) / 1000, unit: 's', range: spread(reachMs.map((x) => x / 1000)) },
  );
} finally {
  lan.remove();
  for (const n of namespacesLike(tag)) sh(`ip netns del ${n}`);
}

// Boot rate and memory: crun guests through the guest service, on one network or none.
const imagesDir = join(work, 'images');
await buildBusyboxRootfs({ busybox: defaultBusyboxPath()!, dest: join(imagesDir, 'busybox', 'rootfs'), logger: quiet });
async function boot(n: number, withNet: boolean, memory = false) {
  const board = `${tag}-g`;
  sh(`ip netns add ${board}`);
  const wanted: BoardGuest[] = [];
  const svc = createNetService({ config: { namespace: board, lanAddress: '172.31.96.1', prefix: `${tag}q`, stateFile: join(work, 'g.json') }, logger: quiet, guests: () => wanted });
  await svc.apply(part([net('lan1', 300, 30, 0, { pool: { first: '10.30.0.10', size: 4000 } })]));
  const service = await openGuestService({
    config: { runtime: 'crun', stateDir: join(ram, `g-${withNet}`), maxGuests: 4096, maxParallel: 2, profile: 'full', stopGraceMs: 500, restart: { mode: 'never', maxRestarts: 0, backoffBaseMs: 1000, backoffMaxMs: 1000 } },
    desk: 'bench', board: 'b01', clock: systemClock(), logger: quiet, onEvents: () => undefined,
    resolveImage: (name) => (name === 'busybox' ? join(imagesDir, 'busybox', 'rootfs') : undefined),
    network: { join: async (g) => { wanted.push(g); return svc.join(g); }, leave: (id) => svc.leave(id), missingNetwork: (names) => svc.missingNetwork(names) },
  });
  try {
    const before = memory ? await memAvailableMB() : 0;
    const r = await answer(service.handlers, 'guests.start', { count: n, waitS: 600, ...(withNet ? { networks: ['lan1'] } : {}) });
    if (r.ready !== n) throw new Error(`only ${r.ready}/${n} guests ready`);
    return { rate: n / (r.elapsedMs / 1000), memMB: memory ? before - (await memAvailableMB()) : 0 };
  } finally {
    await service.close();
    await svc.down();
    sh(`ip netns del ${board}`);
  }
}
const rate = { none: [] as number[], net: [] as number[] };
const mem = { none: [] as number[], net: [] as number[] };
try {
  for (let i = 0; i < RUNS; i++) {
    rate.none.push((await boot(N, false)).rate);
    rate.net.push((await boot(N, true)).rate);
  }
  mem.none.push((await boot(256, false, true)).memMB);
  mem.net.push((await boot(256, true, true)).memMB);
} finally {
  await rm(ram, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
  for (const n of namespacesLike(tag)) sh(`ip netns del ${n}`);
}
rows.push(
  { what: `baseline: ${N} crun guests (full profile) to ready, no networks`, median: median(rate.none), unit: '/s', range: spread(rate.none) },
  { what: `${N} crun guests to ready, each on lan1`, median: median(rate.net), unit: '/s', range: spread(rate.net), note: `${(median(rate.net) / median(rate.none)).toFixed(2)}x baseline (target >= 0.5)` },
  { what: 'baseline: 256 idle guests without networks, MemAvailable drop', median: median(mem.none), unit: 'MB', range: spread(mem.none) },
  { what: '256 idle guests on lan1, MemAvailable drop', median: median(mem.net), unit: 'MB', range: spread(mem.net), note: `${((median(mem.net) - median(mem.none)) * 1024 / 256).toFixed(0)} KB more per guest` },
);
printRows(`guest networks, ${RUNS} runs, medians`, rows);
