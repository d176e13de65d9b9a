/**
 * Creates or refreshes a simulated desk's state folder: desk.json, one broker user per board
 * plus `host` and `monitor`, each with a random password in a 0600 file, and the desk's CA and
 * broker certificate (host/tls/). Existing passwords and the CA are kept, so clients that know
 * them keep working across `desk up`s. What holds secrets or messages is owner-only (private-state.ts).
 */
import { readFile, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { assertId } from '../../broker/contract/topics.ts';
import { type Principal, generateSecret, isGeneratedSecret, loadUsers, newGeneratedUser, newUser, saveUsers, UserStore } from '../../broker/index.ts';
import { boardIds, type DeskLayout } from '../locations/layout.ts';
import { writeDeskFile, readDeskFile, type DeskFile } from '../locations/desk-file.ts';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { existsSync } from 'node:fs';
import { tagsByBoard } from '../client/board-set.ts';
import { makePrivateFiles, makePrivateFolders } from './private-state.ts';
import { ensureTls } from '../tls/ensure-tls.ts';

export interface ProvisionOptions {
  desk: string;
  boards: number;
  /** QEMU boards (q01, q02, ...) besides the simulated ones. */
  qemuBoards?: number;
  boardsPerProcess: number;
  /** Where the broker (and the dashboard) listen; beyond loopback, TLS only unless `plain`. */
  host: string;
  port: number;
  wsPort: number | null;
  tlsPort: number;
  wssPort: number | null;
  /** Plain MQTT and WebSocket beyond loopback too. */
  plain?: boolean;
  keepaliveS: number;
  telemetryPeriodS: number;
  restartDelayS: number;
  guestRuntime: 'auto' | 'crun' | 'process';
  maxGuestsPerBoard: number;
  consoleBaud: number;
  consoleLatencyMs: number;
  bootDelayMs: number;
  /** Tag name -> board set (`rack1` -> `b001-b040`), resolved against the desk's boards. */
  tags?: Record<string, string>;
  /** 0: any free port; null: no dashboard. */
  dashboardPort?: number | null;
  homeAssistant?: boolean;
  /** Broker nodes (a cluster on a redis-server when more than 1). Default 1. */
  brokerNodes?: number;
  /** The desk's health service: the boards' self-check schedule, the policy's thresholds. */
  health?: DeskFile['health'];
}

async function readSecret(file: string): Promise<string | undefined> {
  return (await readFile(file, 'utf8').catch(() => undefined))?.trim() || undefined;
}

/**
 * Makes sure `principal` has a user whose password is in `file`; hashes only what is new. A
 * generated secret gets a token hash (broker/passwords.ts), also when an older desk stored it with
 * scrypt: the file is what the board logs in with, so re-hashing it changes nothing it can do.
 */
async function ensureUser(store: UserStore, principal: Principal, file: string): Promise<void> {
  const known = await readSecret(file);
  const entry = store.get(principal.username);
  const generated = known === undefined || isGeneratedSecret(known);
  if (known && entry?.role === principal.role && (entry.password.scheme === 'token-sha256' || !generated)) return;
  const password = known ?? generateSecret();
  if (!known) await writeFileAtomic(file, password + '\n', { durable: true, mode: 0o600 });
  store.put(generated ? newGeneratedUser(principal, password) : await newUser(principal, password));
}

export async function provisionDesk(layout: DeskLayout, opts: ProvisionOptions): Promise<DeskFile> {
  assertId('desk', opts.desk);
  const qemuBoards = boardIds(opts.qemuBoards ?? 0, 'q');
  const boards = [...boardIds(opts.boards), ...qemuBoards];
  const previous = existsSync(layout.deskFile) ? await readDeskFile(layout) : undefined;
  const store = existsSync(layout.usersFile) ? await loadUsers(layout.usersFile) : new UserStore();
  await makePrivateFolders(layout, boards);

  await ensureUser(store, { role: 'host', username: 'host' }, layout.credential('host'));
  await ensureUser(store, { role: 'monitor', username: 'monitor' }, layout.credential('monitor'));
  // Home Assistant's own login: it may announce itself (birth and will), which the monitor may not.
  await ensureUser(store, { role: 'homeassistant', username: 'homeassistant' }, layout.credential('homeassistant'));
  const gone = (previous?.boards ?? []).filter((b) => !boards.includes(b) || previous?.desk !== opts.desk);
  for (const b of gone) await rm(layout.board(b).dir, { recursive: true, force: true });
  const keep = new UserStore(store.list().filter((u) => u.role !== 'board' || (boards.includes(u.username) && u.desk === opts.desk)));
  await Promise.all(boards.map((b) => ensureUser(keep, { role: 'board', username: b, desk: opts.desk, board: b }, layout.board(b).passwordFile)));
  await mkdir(dirname(layout.usersFile), { recursive: true });
  await saveUsers(layout.usersFile, keep);
  await ensureTls(layout.tls, { host: opts.host, label: `deskbox ${opts.desk}` });
  await makePrivateFiles(layout, boards);

  const desk: DeskFile = {
    v: 1,
    desk: opts.desk,
    boards,
    qemuBoards,
    boardsPerProcess: opts.boardsPerProcess,
    keepaliveS: opts.keepaliveS,
    telemetryPeriodS: opts.telemetryPeriodS,
    restartDelayS: opts.restartDelayS,
    broker: { host: opts.host, port: opts.port, wsPort: opts.wsPort, tlsPort: opts.tlsPort, wssPort: opts.wssPort, plain: opts.plain ?? false },
    guests: { runtime: opts.guestRuntime, maxPerBoard: opts.maxGuestsPerBoard },
    console: { baud: opts.consoleBaud, latencyMs: opts.consoleLatencyMs },
    bootDelayMs: opts.bootDelayMs,
    tags: tagsByBoard(opts.tags ?? {}, boards),
    dashboardPort: opts.dashboardPort === undefined ? 0 : opts.dashboardPort,
    homeAssistant: opts.homeAssistant ?? false,
    brokerNodes: opts.brokerNodes ?? 1,
    health: opts.health ?? { onlineTimeoutMs: 180_000 },
  };
  await writeDeskFile(layout, desk);
  return desk;
}
