/**
 * The net.* ops (docs/networks.md, docs/mqtt.md): a board's part of a guest network topology.
 * The desk computes everything from the topology file (which boards carry which network, the
 * VNIs, each board's share of every subnet, the VXLAN peers) and pushes each board its part;
 * the board makes its namespaces, bridges, veths and VXLAN devices match it. A guest's address
 * on a network is its pool's first address plus the guest's index: deterministic, the same
 * after a reboot, and never shared (pools of different boards do not overlap).
 */
import * as v from 'valibot';
import { command, countSchema as count, NoArgsSchema } from './spec.ts';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const ipv4Schema = v.pipe(v.string(), v.regex(IPV4, 'must be an IPv4 address (a.b.c.d)'));
export const cidrSchema = v.pipe(v.string(), v.check((s) => {
  const [addr, len, ...rest] = s.split('/');
  return rest.length === 0 && IPV4.test(addr ?? '') && /^\d{1,2}$/.test(len ?? '') && Number(len) <= 32;
}, 'must be an IPv4 prefix (a.b.c.d/len)'));
/** Network names become parts of interface names: short, plain. */
export const netNameSchema = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,14}$/, 'must be 1-15 of a-z 0-9 - starting with a letter'));
export const vniSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(16_777_215));

/** Shaping of each guest interface on a network (egress of both veth ends). */
export const LinkSchema = v.object({
  /** tc rate, e.g. `10mbit` (tbf). */
  rate: v.optional(v.pipe(v.string(), v.regex(/^\d+(\.\d+)?(bit|kbit|mbit|gbit)$/, 'must be a tc rate such as 10mbit'))),
  /** One-way delay added by netem, ms. */
  delayMs: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(60_000))),
  jitterMs: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(60_000))),
  /** Loss probability, percent. */
  lossPct: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100))),
});
export type NetLink = v.InferOutput<typeof LinkSchema>;

/** Kernel features a part may need; a board says which it has (net.ls). */
export const NET_FEATURES = ['vxlan', 'tbf', 'netem'] as const;
export type NetFeature = (typeof NET_FEATURES)[number];

export const NetworkPartSchema = v.object({
  name: netNameSchema,
  vni: vniSchema,
  subnet: cidrSchema,
  /** This board's guests' addresses: guest index i gets `first + i`, for i < size. */
  pool: v.object({ first: ipv4Schema, size: v.pipe(v.number(), v.integer(), v.minValue(0)) }),
  /** Which of this board's guests are on the network regardless of how they were started: indexes 0..attachCount-1. */
  attachCount: v.optional(count, 0),
  /** More of this board's guests on the network, by index (a topology naming guests by id). */
  attach: v.optional(v.array(count), []),
  /** The router's address on this network: its guests' default route. */
  gateway: v.optional(ipv4Schema),
  link: v.optional(LinkSchema, {}),
  /** The desk-LAN addresses of the other boards carrying this network: VXLAN head-end replication. */
  peers: v.array(ipv4Schema),
});
export type NetworkPart = v.InferOutput<typeof NetworkPartSchema>;

export const RouterPartSchema = v.object({
  name: netNameSchema,
  interfaces: v.pipe(v.array(v.object({ network: netNameSchema, address: ipv4Schema })), v.minLength(2)),
  routes: v.optional(v.array(v.object({ to: cidrSchema, via: ipv4Schema })), []),
});
export type RouterPart = v.InferOutput<typeof RouterPartSchema>;

export const NetApplyArgsSchema = v.object({
  /** The topology's name and the hash of its file, for net.ls and logs. */
  topology: v.object({ name: v.string(), sha256: v.string() }),
  networks: v.array(NetworkPartSchema),
  routers: v.optional(v.array(RouterPartSchema), []),
});
export type NetApplyArgs = v.InferOutput<typeof NetApplyArgsSchema>;

const MemberSchema = v.object({ guest: v.string(), network: netNameSchema, address: ipv4Schema, iface: v.string() });

const NetStateSchema = v.object({
  /** The board's own address on the desk LAN (VXLAN's underlay); null when it has none. */
  lanAddress: v.nullable(ipv4Schema),
  features: v.record(v.string(), v.boolean()),
  topology: v.nullable(v.object({ name: v.string(), sha256: v.string() })),
  networks: v.array(v.object({ name: netNameSchema, vni: vniSchema, subnet: cidrSchema })),
  routers: v.array(v.object({ name: netNameSchema, interfaces: v.array(v.object({ network: netNameSchema, address: ipv4Schema })) })),
  members: v.array(MemberSchema),
});

export const NetProbeArgsSchema = v.object({
  /** Pings per peer. */
  count: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(20)), 3),
  /** Each ping waits this long for its answer. */
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(10_000)), 1000),
  /** Addresses to ping from each of this board's members, by network (the desk knows every board's members). */
  targets: v.record(netNameSchema, v.array(ipv4Schema)),
});

export const NET_COMMANDS = {
  'net.apply': command({
    args: NetApplyArgsSchema,
    result: v.object({ changes: count, elapsedMs: count, state: NetStateSchema }),
    summary: 'make the board\'s guest networks match its part of a topology (only the difference changes)',
  }),
  'net.down': command({
    args: NoArgsSchema,
    result: v.object({ removed: count, state: NetStateSchema }),
    summary: 'remove every guest network, router and VXLAN device of the board',
  }),
  'net.ls': command({
    args: NoArgsSchema,
    result: NetStateSchema,
    summary: 'the board\'s desk-LAN address, kernel features, networks, routers and members',
  }),
  'net.probe': command({
    args: NetProbeArgsSchema,
    result: v.object({
      results: v.array(v.object({ network: netNameSchema, from: v.string(), to: ipv4Schema, sent: count, received: count, rttMs: v.array(v.number()) })),
    }),
    summary: 'ping the given addresses from each member guest of the board, per network; RTTs in ms',
  }),
};
