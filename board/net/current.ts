/**
 * The current state, read back from the kernel every time (never a cache that could lie):
 * links carrying our alias in the board's namespace, our fdb entries and root qdiscs there,
 * and, in every namespace named with our prefix, the veth ends, addresses, gateway routes,
 * qdiscs and whether it forwards. One shell runs all the reads, so a board with hundreds of
 * guest namespaces costs a few process spawns from Node, not hundreds.
 */
import { objectMap, type NetObject, type NetObjects } from './model.ts';
import { probeNetns } from './naming.ts';
import { runOk } from './run.ts';
import { shapeFromTc } from './shaping.ts';

interface Link { ifindex: number; ifname: string; master?: string; ifalias?: string; link_index?: number; linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> }; addr_info?: Array<{ family: string; local: string; prefixlen: number }> }
interface Route { dst: string; gateway?: string; dev?: string }
interface Qdisc { kind?: string; dev?: string; root?: boolean; options?: Record<string, unknown> }

/** Our namespaces: named `<prefix>-...`, except the throw-away probe namespace. */
export async function ourNamespaces(prefix: string): Promise<string[]> {
  const out = (await runOk('ip', ['-j', 'netns', 'list'])).trim();
  const all = out === '' ? [] : (JSON.parse(out) as Array<{ name: string }>).map((n) => n.name);
  return all.filter((n) => n.startsWith(`${prefix}-`) && n !== probeNetns(prefix)).sort();
}

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export interface CurrentOptions { prefix: string; alias: string; boardNs: string | undefined; only?: readonly string[] }

/** Shells reading namespaces at once: process starts dominate, and they run on every core. */
const READERS = 4;

/**
 * What exists now; `only`: read just these of our namespaces (one guest's part). Per guest
 * namespace one `ip -batch` (addresses and routes); `tc` only where `ip` shows a shaping
 * qdisc; the forwarding flag only in router namespaces (`<prefix>-r-...`).
 */
export async function readCurrent(opts: CurrentOptions): Promise<NetObjects> {
  const namespaces = (await ourNamespaces(opts.prefix)).filter((n) => !opts.only || opts.only.includes(n));
  const b = opts.boardNs ? `-n ${q(opts.boardNs)} ` : '';
  const board = [
    `echo @@links; ip ${b}-j -d link show; echo`,
    `echo @@fdb; bridge ${b}-j fdb show; echo`,
    `echo @@qdisc; tc ${b}-j qdisc show; echo`,
  ].join('\n');
  const nsScript = (ns: string) => [
    `echo @@ns ${q(ns)}`,
    `a=$(printf 'addr show\\nroute show\\n' | ip -n ${q(ns)} -j -batch -)`,
    // Two lines: the addresses' JSON, then the routes'.
    'echo @@batch; printf "%s\\n" "$a"',
    `case "$a" in *'"qdisc":"tbf"'*|*'"qdisc":"netem"'*) echo @@qdisc; tc -n ${q(ns)} -j qdisc show; echo;; esac`,
    ...(ns.startsWith(`${opts.prefix}-r-`) ? [`echo @@fwd; ip netns exec ${q(ns)} cat /proc/sys/net/ipv4/ip_forward`] : ['echo @@fwd; echo 0']),
  ].join('\n');
  const chunks = Array.from({ length: READERS }, (_, i) => namespaces.filter((_, j) => j % READERS === i)).filter((c) => c.length > 0);
  const outs = await Promise.all([runOk('sh', ['-c', board]), ...chunks.map((c) => runOk('sh', ['-c', c.map(nsScript).join('\n')]))]);
  return parseCurrent(outs.join('\n'), opts.alias);
}

type Section = { ns: string | null; name: string; text: string };

function sections(out: string): Section[] {
  const list: Section[] = [];
  let ns: string | null = null;
  for (const line of out.split('\n')) {
    if (line.startsWith('@@ns ')) ns = line.slice(5);
    else if (line.startsWith('@@')) list.push({ ns, name: line.slice(2), text: '' });
    else if (list.length > 0) list[list.length - 1]!.text += line + '\n';
  }
  return list;
}

const json = <T>(text: string): T[] => (text.trim() === '' ? [] : (JSON.parse(text) as T[]));

/** Pure: the reads' output -> our objects (exported for tests). */
export function parseCurrent(out: string, alias: string): NetObjects {
  const objects: NetObject[] = [];
  const secs = sections(out);
  const board = (name: string) => secs.find((s) => s.ns === null && s.name === name)?.text ?? '';
  const links = json<Link>(board('links')).filter((l) => l.ifalias === alias);
  const hostByIndex = new Map<number, Link>();
  const ours = new Set(links.map((l) => l.ifname));
  for (const l of links) {
    const kind = l.linkinfo?.info_kind;
    if (kind === 'bridge') objects.push({ kind: 'bridge', name: l.ifname });
    else if (kind === 'vxlan') {
      const d = l.linkinfo?.info_data ?? {};
      objects.push({ kind: 'vxlan', name: l.ifname, vni: Number(d['id']), local: String(d['local'] ?? ''), bridge: l.master ?? '' });
    } else if (kind === 'veth') hostByIndex.set(l.ifindex, l);
  }
  for (const f of json<{ mac: string; ifname: string; dst?: string }>(board('fdb'))) {
    if (f.mac === '00:00:00:00:00:00' && f.dst && ours.has(f.ifname)) objects.push({ kind: 'fdb', dev: f.ifname, dst: f.dst });
  }
  const qdiscs = (ns: string | null, text: string) => {
    for (const qd of json<Qdisc>(text)) {
      const shape = shapeFromTc(qd);
      if (shape && qd.dev && (ns !== null || ours.has(qd.dev))) objects.push({ kind: 'qdisc', ns, dev: qd.dev, shape });
    }
  };
  qdiscs(null, board('qdisc'));
  const matched = new Set<string>();
  for (const s of secs) {
    if (s.ns === null) continue;
    const ns = s.ns;
    if (s.name === 'fwd') objects.push({ kind: 'netns', name: ns, forward: s.text.trim() === '1' });
    if (s.name === 'qdisc') qdiscs(ns, s.text);
    const [addrText = '', routeText = ''] = s.name === 'batch' ? s.text.split('\n').filter((l) => l.trim() !== '') : [];
    if (s.name === 'batch') {
      for (const r of json<Route>(routeText)) if (r.gateway) objects.push({ kind: 'route', ns, to: r.dst, via: r.gateway });
    }
    if (s.name === 'batch') {
      for (const l of json<Link>(addrText)) {
        const host = l.link_index === undefined ? undefined : hostByIndex.get(l.link_index);
        if (!host) continue;
        matched.add(host.ifname);
        const a = l.addr_info?.find((x) => x.family === 'inet');
        objects.push({ kind: 'veth', host: host.ifname, bridge: host.master ?? '', ns, inner: l.ifname, address: a ? `${a.local}/${a.prefixlen}` : '' });
      }
    }
  }
  // A veth of ours whose other end is in no namespace of ours: deleted by the next plan.
  for (const h of hostByIndex.values()) {
    if (!matched.has(h.ifname)) objects.push({ kind: 'veth', host: h.ifname, bridge: h.master ?? '', ns: '', inner: '', address: '' });
  }
  return objectMap(objects);
}
