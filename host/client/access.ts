/**
 * How the host reaches a desk: from a simulated desk's state folder (over TLS, verified with
 * the desk's CA), or from explicit broker options for a real desk. Passwords come from files or
 * the environment, never from argv.
 */
import { readFile } from 'node:fs/promises';
import { deskLayout, type DeskLayout } from '../locations/layout.ts';
import { DeskStateError, readDeskFile, readLiveRunFile, type DeskFile } from '../locations/desk-file.ts';
import { brokerUrls, type BrokerPorts } from '../locations/broker-urls.ts';
import { loadDeskYaml, type RealDesk } from '../locations/desk-yaml.ts';

export type Role = 'host' | 'monitor';

export interface DeskAccess {
  desk: string;
  /** mqtt:// or mqtts:// */
  url: string;
  /** Every node of a broker cluster, `url` first; connectToDesk fails over between them. Absent: `url` alone. */
  urls?: string[];
  /** PEM CA certificate(s) an mqtts:// broker's certificate must verify against; absent: the system's CAs. */
  caFile?: string;
  username: string;
  password: string;
  /** Boards the desk is known to have; empty when only the broker is known. */
  boards: string[];
  /** Each board's tags, when a desk file says them (otherwise the boards' statuses do). */
  tags?: Record<string, string[]>;
}

export interface AccessOptions {
  /** Board sets include boards the desk took out of service (`--include-quarantined`). */
  includeQuarantined?: boolean;
  state: string;
  broker?: string;
  /** The CA file for an mqtts:// `broker`. */
  ca?: string;
  desk?: string;
  user?: string;
  passwordFile?: string;
  /** A real desk's desk file (docs/real-desk.md): its broker, boards and tags. */
  deskFile?: string;
}

export async function resolveAccess(opts: AccessOptions, role: Role): Promise<DeskAccess> {
  if (opts.deskFile) return realDeskAccess(await loadDeskYaml(opts.deskFile), role);
  if (opts.broker) {
    // A cluster's nodes as a comma-separated list: --broker mqtts://a:8883,mqtts://b:8883
    const urls = opts.broker.split(',').map((u) => u.trim()).filter(Boolean);
    if (opts.ca && !urls.every((u) => u.startsWith('mqtts://'))) throw new DeskStateError(`--ca is for an mqtts:// broker, not ${opts.broker}`);
    const password = opts.passwordFile ? (await readFile(opts.passwordFile, 'utf8')).trim() : process.env.DESKBOX_PASSWORD;
    if (password === undefined) throw new DeskStateError('--broker needs --password-file or DESKBOX_PASSWORD');
    return { desk: opts.desk ?? 'desk1', url: urls[0] ?? opts.broker, ...(urls.length > 1 ? { urls } : {}), ...(opts.ca ? { caFile: opts.ca } : {}), username: opts.user ?? role, password, boards: [] };
  }
  const layout = deskLayout(opts.state);
  const desk = await readDeskFile(layout);
  const run = await readLiveRunFile(layout);
  if (!run) throw new DeskStateError(`the desk in ${layout.root} is not running (deskbox desk up)`);
  return simulatedDeskAccess(layout, desk, run, role);
}

/** A real desk's broker as its desk file describes it; the role's password from its file, else DESKBOX_PASSWORD. */
export async function realDeskAccess(desk: RealDesk, role: Role): Promise<DeskAccess> {
  const file = desk.broker.passwordFiles[role];
  const password = file ? (await readFile(file, 'utf8').catch((e: Error) => { throw new DeskStateError(`${desk.file}: broker.passwordFiles.${role}: ${e.message}`); })).trim() : process.env.DESKBOX_PASSWORD;
  if (password === undefined) throw new DeskStateError(`${desk.file}: no password for the ${role} role (broker.passwordFiles.${role}, or set DESKBOX_PASSWORD)`);
  const boards = Object.keys(desk.boards);
  const urls = [desk.broker.url].flat();
  return {
    desk: desk.desk, url: urls[0]!, ...(urls.length > 1 ? { urls } : {}), ...(desk.broker.ca && { caFile: desk.broker.ca }), username: role, password, boards,
    tags: Object.fromEntries(boards.map((b) => [b, desk.boards[b]!.tags])),
  };
}

/** A simulated desk's broker as `role` reaches it: over mqtts, verified with the desk's CA. */
export async function simulatedDeskAccess(layout: DeskLayout, desk: DeskFile, broker: { host: string } & BrokerPorts, role: Role): Promise<DeskAccess> {
  const { mqtts } = brokerUrls(broker.host, broker);
  if (!mqtts) throw new DeskStateError(`the desk in ${layout.root} runs no TLS listener (deskbox desk down, then desk up again)`);
  // A cluster's run file lists every node: the host fails over between them.
  const nodes = 'nodes' in broker && Array.isArray(broker.nodes) ? (broker.nodes as BrokerPorts[]) : [];
  const urls = nodes.map((n) => brokerUrls(broker.host, n).mqtts).filter((u): u is string => Boolean(u));
  return {
    desk: desk.desk,
    url: mqtts,
    ...(urls.length > 1 ? { urls: [mqtts, ...urls.filter((u) => u !== mqtts)] } : {}),
    caFile: layout.tls.caCert,
    username: role,
    password: (await readFile(layout.credential(role), 'utf8')).trim(),
    boards: desk.boards,
  };
}
