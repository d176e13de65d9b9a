/**
 * The planner (pure): current objects (read back from the kernel) and desired ones -> ordered
 * steps. An object that is the same in both gives no step; one only desired is created, one
 * only current deleted, one that differs modified (most by replacing it: what depends on a
 * replaced device, its fdb entries, qdiscs and routes, is made again too). Each step carries
 * the commands that do it, tagged with a phase: the executor runs phase by phase, batching
 * the commands of one tool and namespace. Deletions the kernel does by itself (a route whose
 * device goes, everything inside a deleted namespace) get a step but no command.
 */
import { keyOf, namespaceOf, sameObject, type NetObject, type NetObjects } from './model.ts';
import { tcArgs } from './shaping.ts';

/** `ip`/`bridge`/`tc` take a batch line (`-batch`); `exec` is one argv of its own. */
export type Tool = 'ip' | 'bridge' | 'tc' | 'exec';
/** ns: undefined = the host's own (namespace management), null = the board's namespace. */
export interface Cmd { phase: number; tool: Tool; ns: string | null | undefined; line: string }
export interface Step { op: 'create' | 'delete' | 'modify'; key: string; object: NetObject; cmds: Cmd[] }

const MTU = 1450; // 1500 of the desk LAN less VXLAN's 50 bytes: guests never send what the tunnel cannot carry

export function plan(current: NetObjects, desired: NetObjects, alias: string): Step[] {
  const steps: Step[] = [];
  const removed = new Set<string>();
  const replaced = new Set<string>();
  for (const [key, cur] of current) {
    const want = desired.get(key);
    if (!want) removed.add(key);
    else if (!sameObject(cur, want) && !(cur.kind === 'netns' && want.kind === 'netns')) replaced.add(key);
  }
  // Devices and namespaces that go away (for good or to be made again) take what is on them along.
  const goneNs = new Set([...removed].flatMap((k) => { const o = current.get(k)!; return o.kind === 'netns' ? [o.name] : []; }));
  const goneDev = new Set<string>();
  for (const k of [...removed, ...replaced]) {
    const o = current.get(k)!;
    if (o.kind === 'veth') goneDev.add(`:${o.host}`).add(`${o.ns}:${o.inner}`);
    if (o.kind === 'vxlan') goneDev.add(`:${o.name}`);
  }
  const implied = (o: NetObject): boolean => {
    const ns = namespaceOf(o);
    // A veth is deleted by its board end: a namespace a container still holds outlives `netns del`.
    if (o.kind !== 'netns' && o.kind !== 'veth' && ns !== null && goneNs.has(ns)) return true;
    if (o.kind === 'qdisc') return goneDev.has(`${o.ns ?? ''}:${o.dev}`);
    if (o.kind === 'fdb') return goneDev.has(`:${o.dev}`);
    if (o.kind === 'route') return [...goneDev].some((d) => d.startsWith(`${o.ns}:`));
    return false;
  };
  for (const k of removed) {
    const o = current.get(k)!;
    steps.push({ op: 'delete', key: k, object: o, cmds: implied(o) ? [] : deleteCmds(o) });
  }
  for (const [key, want] of desired) {
    const cur = current.get(key);
    if (!cur) steps.push({ op: 'create', key, object: want, cmds: createCmds(want, alias) });
    else if (replaced.has(key)) {
      // Routes and qdiscs are replaced in place (`replace`); devices are deleted and made again.
      const inPlace = want.kind === 'route' || want.kind === 'qdisc';
      steps.push({ op: 'modify', key, object: want, cmds: [...(implied(cur) || inPlace ? [] : deleteCmds(cur)), ...createCmds(want, alias)] });
    }
    else if (cur.kind === 'netns' && want.kind === 'netns' && cur.forward !== want.forward) steps.push({ op: 'modify', key, object: want, cmds: [forwardCmd(want.name, want.forward)] });
    else if (implied(cur)) steps.push({ op: 'modify', key, object: want, cmds: createCmds(want, alias) });
  }
  return steps;
}

const forwardCmd = (ns: string, on: boolean): Cmd =>
  ({ phase: 6, tool: 'exec', ns: undefined, line: `ip netns exec ${ns} sysctl -qw net.ipv4.ip_forward=${on ? 1 : 0}` });

function createCmds(o: NetObject, alias: string): Cmd[] {
  const board = (phase: number, line: string, tool: Tool = 'ip'): Cmd => ({ phase, tool, ns: null, line });
  switch (o.kind) {
    case 'netns': return [
      { phase: 4, tool: 'ip', ns: undefined, line: `netns add ${o.name}` },
      { phase: 6, tool: 'ip', ns: o.name, line: 'link set lo up' },
      ...(o.forward ? [forwardCmd(o.name, true)] : []),
    ];
    case 'bridge': return [
      board(5, `link add ${o.name} type bridge`),
      board(5, `link set ${o.name} alias ${alias} up`),
    ];
    case 'vxlan': return [
      board(5, `link add ${o.name} type vxlan id ${o.vni} local ${o.local} dstport 4789`),
      board(5, `link set ${o.name} alias ${alias} mtu ${MTU} master ${o.bridge} up`),
    ];
    case 'fdb': return [board(6, `fdb append 00:00:00:00:00:00 dev ${o.dev} dst ${o.dst}`, 'bridge')];
    case 'veth': return [
      board(5, `link add ${o.host} mtu ${MTU} type veth peer name ${o.inner} mtu ${MTU} netns ${o.ns}`),
      board(5, `link set ${o.host} alias ${alias} master ${o.bridge} up`),
      { phase: 6, tool: 'ip', ns: o.ns, line: `addr add ${o.address} dev ${o.inner}` },
      { phase: 6, tool: 'ip', ns: o.ns, line: `link set ${o.inner} up` },
    ];
    // Phase 6 with the addresses: one `ip -batch` per namespace (it follows its veth's lines).
    case 'route': return [{ phase: 6, tool: 'ip', ns: o.ns, line: `route replace ${o.to} via ${o.via}` }];
    case 'qdisc': return [{ phase: 7, tool: 'tc', ns: o.ns, line: `qdisc replace dev ${o.dev} root ${tcArgs(o.shape)}` }];
  }
}

function deleteCmds(o: NetObject): Cmd[] {
  switch (o.kind) {
    case 'netns': return [{ phase: 3, tool: 'ip', ns: undefined, line: `netns del ${o.name}` }];
    case 'bridge': return [{ phase: 2, tool: 'ip', ns: null, line: `link del ${o.name}` }];
    case 'vxlan': return [{ phase: 1, tool: 'ip', ns: null, line: `link del ${o.name}` }];
    case 'fdb': return [{ phase: 0, tool: 'bridge', ns: null, line: `fdb del 00:00:00:00:00:00 dev ${o.dev} dst ${o.dst}` }];
    case 'veth': return [{ phase: 1, tool: 'ip', ns: null, line: `link del ${o.host}` }];
    case 'route': return [{ phase: 0, tool: 'ip', ns: o.ns, line: `route del ${o.to} via ${o.via}` }];
    case 'qdisc': return [{ phase: 0, tool: 'tc', ns: o.ns, line: `qdisc del dev ${o.dev} root` }];
  }
}

/**
 * One guest's (or router's) objects: its namespace, what is in it, and the board-side qdiscs
 * of its veths; the shared bridges and VXLAN devices are net.apply's.
 */
export function partOf(objects: NetObjects, ns: string): NetObjects {
  const hosts = new Set([...objects.values()].flatMap((o) => (o.kind === 'veth' && o.ns === ns ? [o.host] : [])));
  return new Map([...objects].filter(([, o]) => namespaceOf(o) === ns || (o.kind === 'qdisc' && o.ns === null && hosts.has(o.dev))));
}
