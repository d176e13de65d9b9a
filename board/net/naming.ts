/**
 * Names of everything a board makes for its guest networks (docs/networks.md, "On the board").
 * Namespaces carry the board's net prefix, so boards sharing one machine never collide;
 * interface names must fit the kernel's 15 characters (IFNAMSIZ - 1), so links in the board's
 * namespace carry the network's VNI instead, and an alias (`deskbox:<prefix> ...`) that says
 * they are ours: one board per network namespace, and only what carries our alias is touched.
 */
import { createHash } from 'node:crypto';

export const IFNAME_MAX = 15;
/** The alias of every link a board makes in its own namespace; current state is read by it. */
export const aliasOf = (prefix: string) => `deskbox:${prefix}`;

export const guestNetns = (prefix: string, guestId: string) => `${prefix}-${guestId}`;
export const routerNetns = (prefix: string, router: string) => `${prefix}-r-${router}`;
/** The throw-away namespace the kernel's features are probed in. */
export const probeNetns = (prefix: string) => `${prefix}-probe`;

export const bridgeName = (vni: number) => `dbr${vni}`;
export const vxlanName = (vni: number) => `dvx${vni}`;

/**
 * The board-side end of guest `index`'s veth on network `vni`: `dv<index>-<vni>`; indexes are
 * < 10000 (4 digits) and VNIs < 2^24 (8 digits), so it is at most 15 characters, and unique
 * per (index, network).
 */
export function guestVethName(index: number, vni: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 9999) throw new RangeError(`guest index ${index} out of 0..9999`);
  return `dv${index}-${vni}`;
}

/**
 * The board-side end of a router's veth on network `vni`: `dr<hash>-<vni>`, the hash (4 hex
 * digits of the router's name) keeps it within 15 characters; routers.ts refuses a collision.
 */
export function routerVethName(router: string, vni: number): string {
  const h = createHash('sha256').update(router).digest('hex').slice(0, 4);
  return `dr${h}-${vni}`;
}

/** Inside a guest: eth0, eth1... in the guest's network order. Inside a router: the network's name. */
export const guestIfname = (position: number) => `eth${position}`;

/** Netns names become /run/netns/<name> files and `ip` arguments: keep them plain. */
export function checkNetnsName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/.test(name)) throw new RangeError(`unusable namespace name ${JSON.stringify(name)}`);
  return name;
}

export const netnsPath = (name: string) => `/run/netns/${name}`;
