/**
 * Guest networks on real namespaces: two boards on a test desk LAN, each applying its part
 * through the net service (no MQTT), guests as bare namespaces. Across VXLAN, isolation
 * between networks, a router, a shaped rate, unchanged re-apply, and net.down leaving nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { NetApplyArgs, NetworkPart } from '../../broker/contract/commands/net.ts';
import { memoryLogger } from '../../platform/log.ts';
import { createNetService } from '../../board/net/service.ts';
import { probeHandler } from '../../board/net/feature.ts';
import { pingFrom } from '../../board/net/ping.ts';
import type { BoardGuest } from '../../board/net/desired.ts';
import { tempDir } from '../support/temp-dir.ts';
import { makeDeskLan, namespacesLike, sh } from './fixture.ts';
import { waitFor } from '../support/wait.ts';

const tag = `nt${Math.random().toString(36).slice(2, 6)}`;
const dir = await tempDir('deskbox-net-');
const boards = { A: { ns: `${tag}-bA`, lan: '172.31.99.1' }, B: { ns: `${tag}-bB`, lan: '172.31.99.2' } };
const deskLan = makeDeskLan(tag, Object.values(boards));
const prefix = (b: 'A' | 'B') => `${tag}${b.toLowerCase()}`;

/** Guests 0,1 are on lan1 by attachCount; 2,3 were started with lan2. */
const guests = (b: 'A' | 'B'): BoardGuest[] => [0, 1, 2, 3].map((index) => ({ id: `${b}-g${index}`, index, ...(index >= 2 ? { networks: ['lan2'] } : {}) }));
const service = (b: 'A' | 'B') => createNetService({
  config: { namespace: boards[b].ns, lanAddress: boards[b].lan, prefix: prefix(b), stateFile: join(dir.path, `${b}.json`) },
  logger: memoryLogger(), guests: () => guests(b),
});
const svc = { A: service('A'), B: service('B') };

const base = { A: 10, B: 20 };
function part(b: 'A' | 'B', opts: { gateways?: boolean; router?: boolean; rate?: string; delayMs?: number } = {}): NetApplyArgs {
  const other = b === 'A' ? boards.B.lan : boards.A.lan;
  const net = (name: string, vni: number, third: number, attachCount: number, extra: Partial<NetworkPart> = {}): NetworkPart => ({
    name, vni, subnet: `10.${third}.0.0/24`, pool: { first: `10.${third}.0.${base[b]}`, size: 10 }, attachCount, attach: [],
    link: {}, peers: [other], ...(opts.gateways ? { gateway: `10.${third}.0.1` } : {}), ...extra,
  });
  return {
    topology: { name: 'two-lans', sha256: 'x' },
    networks: [net('lan1', 101, 1, 2, opts.rate || opts.delayMs ? { link: { ...(opts.rate && { rate: opts.rate }), ...(opts.delayMs && { delayMs: opts.delayMs }) } } : {}), net('lan2', 102, 2, 0)],
    routers: opts.router && b === 'A' ? [{ name: 'r1', interfaces: [{ network: 'lan1', address: '10.1.0.1' }, { network: 'lan2', address: '10.2.0.1' }], routes: [] }] : [],
  };
}
const ns = (b: 'A' | 'B', i: number) => `${prefix(b)}-${b}-g${i}`;
const reach = async (from: string, to: string) => (await pingFrom(from, to, 1, 1000)).received === 1;

test.after(async () => {
  await svc.A.down().catch(() => undefined);
  await svc.B.down().catch(() => undefined);
  deskLan.remove();
  await dir.remove();
  assert.equal(namespacesLike(tag), [], 'every namespace of the test is gone');
});

test('guests of one network reach each other across boards over VXLAN; other networks do not', async () => {
  const a = await svc.A.apply(part('A'));
  await svc.B.apply(part('B'));
  assert.ok(a.changes > 0);
  assert.equal(a.state.members.map((m) => `${m.guest} ${m.network} ${m.address} ${m.iface}`), [
    'A-g0 lan1 10.1.0.10 eth0', 'A-g1 lan1 10.1.0.11 eth0', 'A-g2 lan2 10.2.0.12 eth0', 'A-g3 lan2 10.2.0.13 eth0']);
  const probe = await probeHandler(svc.A)({ count: 3, timeoutMs: 1000, targets: { lan1: ['10.1.0.11', '10.1.0.20', '10.1.0.21'] } });
  for (const r of probe.results) assert.equal([r.from, r.to, r.received], [r.from, r.to, 3], `${r.from} -> ${r.to}`);
  assert.equal(probe.results.length, 5, 'A-g0 and A-g1 each ping the other two (not themselves)');
  const rtt = (to: string) => probe.results.find((r) => r.from === 'A-g0' && r.to === to)!.rttMs;
  console.log(`  RTT A-g0 -> A-g1 (same bridge): ${rtt('10.1.0.11').join(' ')} ms; A-g0 -> B-g0 (VXLAN): ${rtt('10.1.0.20').join(' ')} ms`);
  assert.not.ok(await reach(ns('A', 2), '10.1.0.10'), 'lan2 cannot reach lan1 on its board');
  assert.not.ok(await reach(ns('B', 2), '10.1.0.10'), 'nor across boards');
  assert.ok(await reach(ns('B', 3), '10.2.0.12'), 'lan2 reaches lan2 across boards');
});

test('a router on lan1 and lan2 with gateways joins them; re-applying the same part changes nothing', async () => {
  const a = await svc.A.apply(part('A', { gateways: true, router: true }));
  await svc.B.apply(part('B', { gateways: true }));
  // The router: namespace, two veths; four guests' default routes.
  assert.equal(a.changes, 7);
  assert.ok(await reach(ns('A', 2), '10.1.0.10'), 'lan2 -> lan1 through the router');
  assert.ok(await reach(ns('B', 2), '10.1.0.21'), 'lan2 on B -> lan1 on B through the router on A');
  assert.equal((await svc.A.apply(part('A', { gateways: true, router: true }))).changes, 0);
  assert.equal((await svc.B.apply(part('B', { gateways: true }))).changes, 0);
});

/** Bytes sent from `from` to `to`'s listener, and the time the transfer took. */
async function throughput(from: string, to: string, addr: string, bytes: number): Promise<number> {
  const server = spawn('ip', ['netns', 'exec', to, 'busybox', 'nc', '-l', '-p', '5001', '-e', 'busybox', 'dd', 'if=/dev/zero', 'bs=64k', `count=${bytes / 65536}`], { stdio: 'ignore' });
  await waitFor(() => sh(`ip netns exec ${to} cat /proc/net/tcp /proc/net/tcp6`).includes(':1389 '), { timeoutMs: 5000, what: 'the listener on port 5001' });
  const t0 = performance.now();
  const got = sh(`ip netns exec ${from} busybox nc ${addr} 5001 | wc -c`);
  const s = (performance.now() - t0) / 1000;
  server.kill();
  assert.equal(Number(got), bytes);
  return (bytes * 8) / s / 1e6;
}

test('a rate of 10mbit on lan1 shows in throughput', async () => {
  const before = await throughput(ns('A', 0), ns('A', 1), '10.1.0.11', 3 * 65536 * 16);
  const r = await svc.A.apply(part('A', { gateways: true, router: true, rate: '10mbit' }));
  assert.equal(r.changes, 4, 'a tbf on both ends of two guests\' veths');
  const mbit = await throughput(ns('A', 0), ns('A', 1), '10.1.0.11', 3 * 65536 * 16);
  console.log(`  throughput lan1 A-g1 -> A-g0: ${before.toFixed(0)} Mbit/s unshaped, ${mbit.toFixed(2)} Mbit/s at rate 10mbit`);
  assert.ok(mbit > 8 && mbit < 11, `${mbit} Mbit/s`);
  assert.equal((await svc.A.apply(part('A', { gateways: true, router: true, rate: '10mbit' }))).changes, 0);
});

// Registered only where it can run: a skipped check must not count as passed.
if ((await svc.A.features()).netem) {
  test('a delay shows in the RTT: each guest\'s link both ways, so 4 x delay between two guests', async () => {
    const plain = await pingFrom(ns('A', 0), '10.1.0.21', 10, 1000);
    await svc.A.apply(part('A', { delayMs: 5 }));
    await svc.B.apply(part('B', { delayMs: 5 }));
    const slow = await pingFrom(ns('A', 0), '10.1.0.21', 10, 1000);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    assert.ok(Math.abs(med(slow.rttMs) - med(plain.rttMs) - 20) < 1, `RTT ${med(plain.rttMs)} -> ${med(slow.rttMs)} ms`);
    await svc.A.apply(part('A'));
    await svc.B.apply(part('B'));
  });
} else {
  process.once('exit', () => console.log('  NOT RUN: netem delay in the RTT: this kernel has no netem (tc: "Specified qdisc kind is unknown"); not counted as passed.'));
}

test('net.down removes every namespace and link of the board, and its state file', async () => {
  const a = await svc.A.down();
  const b = await svc.B.down();
  assert.ok(a.removed > 0 && b.removed > 0);
  assert.equal(namespacesLike(prefix('A')), []);
  assert.equal(namespacesLike(prefix('B')), []);
  for (const b of Object.values(boards)) assert.equal(sh(`ip -n ${b.ns} -br link`).split('\n').filter((l) => /^d(br|vx|v|r)\w*/.test(l)), []);
  assert.equal((await svc.A.ls()).members, []);
});

test.run();
