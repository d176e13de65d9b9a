/**
 * The simulated desk's LAN: the wire between its boards that their guest networks' VXLAN
 * devices cross. The desk gets a namespace holding a bridge (`dbx-<tag>-lan`, bridge `br0`);
 * each simulated board gets a namespace of its own (`dbx-<tag>-<board>`) with a veth (`lan0`)
 * into that bridge and an address in 198.18.0.0/16 (RFC 2544's benchmarking range: no real
 * network uses it, and it never leaves these namespaces anyway). The veths are made inside the
 * LAN namespace and their peers moved straight into the boards' namespaces, so nothing ever
 * appears in the machine's own namespace, and nothing is routed to or from its interfaces.
 *
 * `<tag>` is short and derived from the state folder, so desks in different folders on one
 * machine never share a name, and whatever a desk's boards make inside (guest and router
 * namespaces, named after the board's `dbx-<tag>-<board>` prefix) is found and removed by it.
 *
 * Needs root and working `ip netns`; without them the desk runs without guest networks and says why.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DeskLayout } from '../locations/layout.ts';
import type { NetConfig } from '../../board/config/board-config.ts';
import type { DeskLan, DeskLanBoard } from '../locations/desk-lan-info.ts';
import { runBatches, type Batch } from '../../board/net/run.ts';

export type { DeskLan, DeskLanBoard };

export const DESK_LAN_SUBNET = '198.18.0.0/16';
const PREFIX_LENGTH = 16;
/** Where `ip netns` keeps its namespaces (bind mounts). */
const NETNS_DIR = '/run/netns';
export const DESK_LAN_BRIDGE = 'br0';
/** The board's end of its veth, inside its namespace. */
export const BOARD_LAN_DEVICE = 'lan0';
/** Shells configuring the boards' ends at once: the kernel work is per namespace, on every core. */
const SHELLS = 4;

/** The desk's tag, from its state folder: 6 hex digits. */
export function deskLanTag(layout: DeskLayout): string {
  return createHash('sha256').update(layout.root).digest('hex').slice(0, 6);
}

/** `dbx-<tag>`: every namespace of this desk's, and of its boards', starts with this and a dash. */
export const deskNetPrefix = (layout: DeskLayout) => `dbx-${deskLanTag(layout)}`;
export const lanNamespace = (layout: DeskLayout) => `${deskNetPrefix(layout)}-lan`;
export const boardNamespace = (layout: DeskLayout, board: string) => `${deskNetPrefix(layout)}-${board}`;

/** Board `i` of the desk (0-based, in desk.json's order) is host i+1 of the subnet. */
export function lanAddress(index: number): string {
  const host = index + 1;
  if (host < 1 || host > 65_534) throw new Error(`a desk LAN has room for 65534 boards, not ${host}`);
  return `198.18.${host >> 8}.${host & 255}`;
}

/** What the board's config says about its network, on a desk whose LAN is planned (its net service waits for it). */
export function boardNetConfig(layout: DeskLayout, lan: DeskLan, board: string): NetConfig | undefined {
  if (!lan.up) return undefined;
  const mine = lan.boards.find((b) => b.board === board);
  if (!mine) return undefined;
  return { namespace: mine.namespace, lanAddress: mine.address, prefix: mine.namespace, stateFile: join(layout.board(board).flashDir, 'net.json'), readyFile: layout.lanReadyFile };
}

class IpError extends Error {}

/** Runs `ip`; `input` goes to its stdin (for -batch -). */
function ip(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', (e: NodeJS.ErrnoException) => reject(new IpError(e.code === 'ENOENT' ? 'iproute2 (the ip command) is not installed' : e.message)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new IpError(`ip ${args.join(' ')}: ${err.trim().split('\n')[0] || `exit ${code}`}`))));
    child.stdin.on('error', () => undefined); // it may exit before reading everything: its exit status says why
    child.stdin.end(input ?? '');
  });
}

/** Every named network namespace on the machine. */
async function namespaces(): Promise<string[]> {
  const text = await ip(['netns', 'list']);
  // `name (id: 3)` or just `name`
  return text.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean);
}

/** This desk's namespaces: its LAN's, its boards', and what its boards made inside. */
export async function deskNamespaces(layout: DeskLayout): Promise<string[]> {
  const prefix = `${deskNetPrefix(layout)}-`;
  return (await namespaces().catch(() => [])).filter((n) => n.startsWith(prefix));
}

/** Why this machine cannot give the desk a LAN, or undefined when it can. */
async function cannot(): Promise<string | undefined> {
  if (process.getuid && process.getuid() !== 0) return 'not running as root: network namespaces need root, so guests get no network';
  try {
    await namespaces();
  } catch (e) {
    return `ip netns does not work here (${(e as Error).message}), so guests get no network`;
  }
  return undefined;
}

/**
 * Removes every namespace of the desk's (a crashed desk's too): processes still inside one are
 * killed first, since a namespace lasts as long as something is in it. Deleting a namespace
 * deletes the devices in it (veths, bridges, VXLANs); a veth's peer in another namespace goes
 * with it. Returns the names removed.
 */
export async function removeDeskLan(layout: DeskLayout): Promise<string[]> {
  const names = await deskNamespaces(layout);
  if (names.length === 0) return [];
  for (const pid of pidsIn(names)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch { /* gone meanwhile */ }
  }
  // `netns del` in batch mode stops at the first failure: -force goes on past it.
  await ip(['-force', '-batch', '-'], names.map((n) => `netns del ${n}\n`).join('')).catch(() => undefined);
  const left = await deskNamespaces(layout);
  if (left.length > 0) throw new Error(`could not remove the desk's network namespaces ${left.join(', ')}`);
  return names;
}

/** Processes whose network namespace is one of `names` (what `ip netns pids` says, for all at once). */
function pidsIn(names: string[]): number[] {
  const inodes = new Set<string>();
  for (const n of names) {
    try {
      inodes.add(`net:[${statSync(join(NETNS_DIR, n)).ino}]`);
    } catch { /* removed meanwhile */ }
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${entry}/ns/net`))) pids.push(Number(entry));
    } catch { /* exited, or not ours to look at */ }
  }
  return pids;
}

/** The LAN veth's name on the bridge's side: short enough for IFNAMSIZ (15). */
const bridgePort = (board: string, index: number) => (board.length <= 13 ? `p-${board}` : `p${index + 1}`);

/**
 * The desk's LAN for `boards` (all of desk.json's boards, with their positions there: a board
 * keeps its address across `desk up`s) as it will be, without making anything: boards can be
 * configured and boot while buildDeskLan makes it. `only`: the boards that get a namespace (the
 * simulated ones; QEMU boards have networks of their own). `{ up: false, reason }` on a machine
 * that cannot have one.
 */
export async function planDeskLan(layout: DeskLayout, boards: readonly string[], only: (board: string) => boolean = () => true): Promise<DeskLan> {
  const tag = deskLanTag(layout);
  const why = await cannot();
  if (why) return { up: false, tag, reason: why };
  const members: DeskLanBoard[] = [];
  boards.forEach((board, i) => {
    if (only(board)) members.push({ board, namespace: boardNamespace(layout, board), address: lanAddress(i) });
  });
  return { up: true, tag, namespace: lanNamespace(layout), bridge: DESK_LAN_BRIDGE, subnet: DESK_LAN_SUBNET, boards: members };
}

/**
 * Makes the planned LAN, replacing whatever a previous desk in the same folder left. Never
 * throws: a step that fails gives `{ up: false, reason }` and leaves nothing behind.
 */
export async function buildDeskLan(layout: DeskLayout, plan: DeskLan): Promise<DeskLan> {
  if (!plan.up) return plan;
  const { namespace: lan, boards: members } = plan;
  const ports = members.map((m, i) => bridgePort(m.board, i));
  try {
    await removeDeskLan(layout);
    await ip(['-batch', '-'], [lan, ...members.map((m) => m.namespace)].map((n) => `netns add ${n}\n`).join(''));
    const bridge = [
      'link set lo up',
      `link add ${DESK_LAN_BRIDGE} type bridge mcast_snooping 0`,
      `link set ${DESK_LAN_BRIDGE} up`,
      ...members.flatMap((m, i) => [
        `link add ${ports[i]} type veth peer name ${BOARD_LAN_DEVICE} netns ${m.namespace}`,
        `link set ${ports[i]} master ${DESK_LAN_BRIDGE} up`,
      ]),
    ];
    await ip(['-n', lan, '-batch', '-'], bridge.map((l) => `${l}\n`).join(''));
    // A Node spawn costs ~20 ms of the event loop here (the fork of a large process): 490 of them
    // stalled the supervisor for 20 s. A few shells start the `ip`s instead.
    const batch = (m: DeskLanBoard): Batch => ({ tool: 'ip', ns: m.namespace, lines: ['link set lo up', `addr add ${m.address}/${PREFIX_LENGTH} dev ${BOARD_LAN_DEVICE}`, `link set ${BOARD_LAN_DEVICE} up`] });
    await Promise.all(Array.from({ length: SHELLS }, (_, i) => runBatches(members.filter((_, j) => j % SHELLS === i).map(batch))));
  } catch (e) {
    await removeDeskLan(layout).catch(() => undefined);
    return { up: false, tag: plan.tag, reason: `could not make the desk LAN (${(e as Error).message}), so guests get no network` };
  }
  return plan;
}

/**
 * A board switched off loses what its kernel held: the namespaces it made for guests and
 * routers, and the bridges and VXLAN devices in its own namespace (ours carry the alias
 * `deskbox:`), so a board switched back on must set its networks up again, as a real one does.
 * Its own namespace and its LAN cable stay: they are the desk's.
 */
export async function wipeBoardNetworks(layout: DeskLayout, boards: readonly string[]): Promise<void> {
  const all = await namespaces().catch(() => [] as string[]);
  for (const board of boards) {
    const own = boardNamespace(layout, board);
    if (!all.includes(own)) continue;
    const made = all.filter((n) => n.startsWith(`${own}-`));
    if (made.length > 0) await ip(['-force', '-batch', '-'], made.map((n) => `netns del ${n}\n`).join('')).catch(() => undefined);
    const links = JSON.parse(await ip(['-n', own, '-j', 'link', 'show']).catch(() => '[]') || '[]') as Array<{ ifname: string; ifalias?: string }>;
    const ours = links.filter((l) => l.ifalias?.startsWith('deskbox:')).map((l) => `link del ${l.ifname}\n`);
    if (ours.length > 0) await ip(['-n', own, '-force', '-batch', '-'], ours.join('')).catch(() => undefined);
  }
}

/** One line for `desk up` and `desk status`. */
export function describeDeskLan(lan: DeskLan): string {
  if (!lan.up) return `no guest networks: ${lan.reason}`;
  const first = lan.boards[0];
  const last = lan.boards[lan.boards.length - 1];
  const range = first && last ? `, boards ${first.address}${last === first ? '' : `-${last.address}`}` : '';
  return `namespace ${lan.namespace} (bridge ${lan.bridge}, ${lan.subnet}${range}); boards in dbx-${lan.tag}-<board>`;
}
