/**
 * The planner and desired state, pure: unchanged -> no steps; one network added -> only its
 * steps; a guest removed -> only its teardown; names fit; netem's tc commands; pools refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NetApplyArgs, NetworkPart } from '../../broker/contract/commands/net.ts';
import { desiredState, PartError, type BoardGuest } from '../../board/net/desired.ts';
import { plan } from '../../board/net/planner.ts';
import { guestVethName, routerVethName, IFNAME_MAX } from '../../board/net/naming.ts';
import { parsePing } from '../../board/net/ping.ts';

const net = (name: string, vni: number, extra: Partial<NetworkPart> = {}): NetworkPart => ({
  name, vni, subnet: `10.${vni}.0.0/16`, pool: { first: `10.${vni}.1.0`, size: 100 }, attachCount: 2, attach: [], link: {}, peers: ['172.31.99.2'], ...extra,
});
const args = (networks: NetworkPart[], routers: NetApplyArgs['routers'] = []): NetApplyArgs => ({ topology: { name: 't', sha256: 'x' }, networks, routers });
const guests = (n: number): BoardGuest[] => Array.from({ length: n }, (_, index) => ({ id: `b1-g${index}`, index }));
const want = (a: NetApplyArgs, g = guests(2)) => desiredState('p', '172.31.99.1', a, g).objects;
const lines = (steps: ReturnType<typeof plan>) => steps.flatMap((s) => s.cmds.map((c) => `${c.phase} ${c.tool}${c.ns === null ? '@board' : c.ns ? `@${c.ns}` : ''} ${c.line}`));

test('unchanged: no steps', () => {
  const d = want(args([net('lan1', 5)]));
  assert.equal(plan(d, want(args([net('lan1', 5)])), 'deskbox:p'), []);
});

test('one network added: only its bridge, vxlan, flood entry and the guests\' veths on it', () => {
  const cur = want(args([net('lan1', 5)]));
  const steps = plan(cur, want(args([net('lan1', 5), net('lan2', 6)])), 'deskbox:p');
  assert.equal(steps.map((s) => `${s.op} ${s.key}`), [
    'create bridge:dbr6', 'create vxlan:dvx6', 'create fdb:dvx6:172.31.99.2', 'create veth:dv0-6', 'create veth:dv1-6',
  ]);
  assert.ok(lines(steps).includes('5 ip@board link add dv0-6 mtu 1450 type veth peer name eth1 mtu 1450 netns p-b1-g0'));
});

test('a guest removed: only its teardown; what the kernel removes with it has no command', () => {
  const a = args([net('lan1', 5, { gateway: '10.5.0.1', link: { rate: '10mbit' }, attachCount: 3 })]);
  const steps = plan(want(a, guests(3)), want(a, guests(2)), 'deskbox:p');
  assert.equal(steps.map((s) => `${s.op} ${s.key}`).sort(), ['delete netns:p-b1-g2', 'delete qdisc::dv2-5', 'delete qdisc:p-b1-g2:eth0', 'delete route:p-b1-g2:default', 'delete veth:dv2-5']);
  assert.equal(lines(steps).sort(), ['1 ip@board link del dv2-5', '3 ip netns del p-b1-g2']);
});

test('a changed peer list changes only the flood entries; a changed gateway only the routes', () => {
  const cur = want(args([net('lan1', 5, { gateway: '10.5.0.1' })]));
  const steps = plan(cur, want(args([net('lan1', 5, { gateway: '10.5.0.2', peers: ['172.31.99.3'] })])), 'deskbox:p');
  assert.equal(lines(steps).sort(), [
    '0 bridge@board fdb del 00:00:00:00:00:00 dev dvx5 dst 172.31.99.2',
    '6 bridge@board fdb append 00:00:00:00:00:00 dev dvx5 dst 172.31.99.3',
    '6 ip@p-b1-g0 route replace default via 10.5.0.2',
    '6 ip@p-b1-g1 route replace default via 10.5.0.2',
  ]);
});

test('netem: delay, jitter, loss and rate in one qdisc on both ends', () => {
  const steps = plan(new Map(), want(args([net('lan1', 5, { link: { delayMs: 20, jitterMs: 5, lossPct: 1, rate: '1mbit' } })]), guests(1)), 'deskbox:p');
  assert.equal(lines(steps).filter((l) => l.includes(' tc')), [
    '7 tc@board qdisc replace dev dv0-5 root netem delay 20000us 5000us loss 1% rate 1000000bit',
    '7 tc@p-b1-g0 qdisc replace dev eth0 root netem delay 20000us 5000us loss 1% rate 1000000bit',
  ]);
});

test('a router: forwarding namespace, interfaces named after the networks, its routes', () => {
  const a = args([net('lan1', 5), net('lan2', 6)], [{ name: 'r1', interfaces: [{ network: 'lan1', address: '10.5.0.1' }, { network: 'lan2', address: '10.6.0.1' }], routes: [{ to: '192.168.7.9/24', via: '10.6.0.9' }] }]);
  const l = lines(plan(new Map(), want(a, []), 'deskbox:p'));
  assert.ok(l.includes('6 exec ip netns exec p-r-r1 sysctl -qw net.ipv4.ip_forward=1'));
  assert.ok(l.includes(`5 ip@board link add ${routerVethName('r1', 6)} mtu 1450 type veth peer name lan2 mtu 1450 netns p-r-r1`));
  assert.ok(l.includes('6 ip@p-r-r1 route replace 192.168.7.0/24 via 10.6.0.9'));
});

test('guest order of networks: started ones first, then attached; a pool too small refuses that guest only', () => {
  const a = args([net('lan1', 5, { pool: { first: '10.5.1.0', size: 2 } }), net('lan2', 6, { attachCount: 0 })]);
  const d = desiredState('p', '172.31.99.1', a, [...guests(2), { id: 'b1-g2', index: 2, networks: ['lan2', 'lan1'] }, { id: 'b1-g3', index: 3, networks: ['lan2'] }]);
  assert.equal(d.members.map((m) => `${m.guest} ${m.network} ${m.iface} ${m.address}`), [
    'b1-g0 lan1 eth0 10.5.1.0', 'b1-g1 lan1 eth0 10.5.1.1', 'b1-g3 lan2 eth0 10.6.1.3']);
  assert.match(d.refused.get('b1-g2')!, /no address on lan1: its pool on this board holds 2/);
});

test('guests attached by index (a topology naming them by id) join with the others; an index beyond the pool refuses the part', () => {
  const a = args([net('lan1', 5, { attachCount: 1, attach: [3] })]);
  const d = desiredState('p', '172.31.99.1', a, guests(4));
  assert.equal(d.members.map((m) => `${m.guest} ${m.address}`), ['b1-g0 10.5.1.0', 'b1-g3 10.5.1.3']);
  assert.throws(() => desiredState('p', 'x', args([net('lan1', 5, { attach: [100] })]), []), /guest 100 is beyond its pool of 100/);
});

test('parts a board cannot carry are refused whole', () => {
  assert.throws(() => desiredState('p', null, args([net('lan1', 5)]), []), (e: unknown) => e instanceof PartError && /no desk-LAN address/.test(e.message));
  assert.throws(() => desiredState('p', 'x', args([net('lan1', 5, { attachCount: 101 })]), []), /attachCount 101/);
  assert.throws(() => desiredState('p', 'x', args([net('lan1', 5)], [{ name: 'r', interfaces: [{ network: 'lan1', address: '10.5.0.1' }, { network: 'lan9', address: '1.1.1.1' }], routes: [] }]), []), /lan9 is not in/);
});

test('interface names fit 15 characters at the extremes', () => {
  assert.ok(guestVethName(9999, 16_777_215).length <= IFNAME_MAX);
  assert.ok(routerVethName('a-very-long-rtr', 16_777_215).length <= IFNAME_MAX);
  assert.throws(() => guestVethName(10_000, 1));
});

test('ping output of busybox and iputils', () => {
  assert.equal(parsePing('64 bytes from 10.0.0.2: seq=0 ttl=64 time=0.104 ms\n64 bytes from 10.0.0.2: seq=1 ttl=64 time=0.067 ms\n\n2 packets transmitted, 2 packets received, 0% packet loss\n', 2), { sent: 2, received: 2, rttMs: [0.104, 0.067] });
  assert.equal(parsePing('64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.051 ms\n3 packets transmitted, 1 received, 66% packet loss, time 2003ms\n', 3), { sent: 3, received: 1, rttMs: [0.051] });
});

test.run();
