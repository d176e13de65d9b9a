/**
 * A topology file (docs/networks.md): guest networks with their subnets and link properties,
 * which guests attach where (by board set and count, or by guest id), and routers. Parsed and
 * checked here; host/net/compile.ts turns it into each board's part.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { cidrSchema, ipv4Schema, netNameSchema, vniSchema } from '../../broker/contract/commands/net.ts';
import { parseYamlFields } from '../locations/yaml-fields.ts';

const duration = (what: string) => v.pipe(
  v.union([v.number(), v.string()]),
  v.transform((x) => (typeof x === 'number' ? x : /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(x.trim()))),
  v.check((m) => m !== null, `${what} must be a duration: "5ms", "0.5s" or a number of ms`),
  v.transform((m) => (typeof m === 'number' ? m : Number(m![1]) * (m![2] === 's' ? 1000 : 1))),
);
const percent = v.pipe(
  v.union([v.number(), v.string()]),
  v.transform((x) => (typeof x === 'number' ? x : Number(x.trim().replace(/%$/, '')))),
  v.number('loss must be a percentage: "0.5%" or 0.5'),
  v.minValue(0), v.maxValue(100),
);

/** Link properties as a person writes them; the contract's LinkSchema is what boards get. */
export const TopologyLinkSchema = v.strictObject({
  rate: v.optional(v.pipe(v.string(), v.regex(/^\d+(\.\d+)?(bit|kbit|mbit|gbit)$/, 'must be a tc rate such as 10mbit'))),
  delay: v.optional(duration('delay')),
  jitter: v.optional(duration('jitter')),
  loss: v.optional(percent),
});

const GUEST_ID = /^([A-Za-z0-9][A-Za-z0-9_.-]*)-g(\d{4})$/;

export const TopologySchema = v.strictObject({
  v: v.literal(1),
  name: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/)), 'topology'),
  networks: v.pipe(v.record(netNameSchema, v.strictObject({
    subnet: cidrSchema,
    /** The VXLAN id carrying it between boards (default: 1000 + its place in the file). */
    vni: v.optional(vniSchema),
    link: v.optional(TopologyLinkSchema),
  })), v.check((n) => Object.keys(n).length > 0, 'a topology needs at least one network')),
  /** Which guests attach where; a network is carried by the boards its attachments and routers name. */
  attach: v.optional(v.array(v.strictObject({
    network: netNameSchema,
    /** A board set: all, ids and ranges, tag:<name>. */
    boards: v.optional(v.union([v.string(), v.number()])),
    /** The first `count` guests of each of those boards (guest indexes 0..count-1). */
    count: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
    /** Guests by id (`b01-g0003`). */
    guests: v.optional(v.array(v.pipe(v.string(), v.regex(GUEST_ID, 'must be a guest id such as b01-g0003')))),
    /** Overrides the network's link properties for these guests. */
    link: v.optional(TopologyLinkSchema),
  })), []),
  routers: v.optional(v.record(netNameSchema, v.strictObject({
    board: v.string(),
    interfaces: v.record(netNameSchema, ipv4Schema),
    routes: v.optional(v.array(v.strictObject({ to: cidrSchema, via: ipv4Schema })), []),
  })), {}),
});
export type Topology = v.InferOutput<typeof TopologySchema>;

export interface LoadedTopology {
  topology: Topology;
  file: string;
  sha256: string;
}

export class TopologyError extends Error {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(problems.length === 1 ? `topology ${file}: ${problems[0]}` : `topology ${file} has ${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'TopologyError';
  }
}

export function parseTopology(text: string, file: string): LoadedTopology {
  const parsed = parseYamlFields(TopologySchema, text, 'topology', '(v:, networks:, attach:, routers:)');
  if (!parsed.ok) throw new TopologyError(file, parsed.problems);
  return { topology: parsed.value, file, sha256: createHash('sha256').update(text).digest('hex') };
}

export async function loadTopology(file: string): Promise<LoadedTopology> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => { throw new TopologyError(file, [e.code === 'ENOENT' ? 'no such file' : e.message]); });
  return parseTopology(text, file);
}

/** `b01-g0003` -> board b01, index 3. */
export function parseGuestId(id: string): { board: string; index: number } {
  const m = GUEST_ID.exec(id)!;
  return { board: m[1]!, index: Number(m[2]) };
}
