/**
 * Bringing a simulated desk up and down from the CLI: provision the state folder, start the
 * supervisor in the background, and wait until every board is online over MQTT.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { allBoardsFilter } from '../../broker/contract/topics.ts';
import { deskLayout, type DeskLayout } from '../locations/layout.ts';
import { DeskStateError, groupMembers, isAlive, readLiveRunFile, readRunFile, type RunFile } from '../locations/desk-file.ts';
import { provisionDesk, type ProvisionOptions } from './provision.ts';
import { resolveAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { createBoardView } from '../client/board-view.ts';
import { waitFor } from './wait.ts';
import { prepareDeskImages } from './desk-images.ts';
import { prepareQemuDisks } from './qemu-desk-disks.ts';
import { clearDown } from './down-file.ts';
import { stderrLogger } from '../../platform/log.ts';
import { brokerUrls, type BrokerUrls } from '../locations/broker-urls.ts';
import { removeDeskLan, type DeskLan } from './desk-lan.ts';

export interface UpResult {
  desk: string;
  boards: number;
  online: number;
  msToAllOnline: number;
  /** Where the time of `desk up` went, ms: provisioning (before msToAllOnline counts), images, the supervisor's start until its run file (broker, LAN, consoles, U-Boot), the rest until all were online. */
  phases: { provisionMs: number; imagesMs: number; supervisorMs: number; onlineMs: number };
  state: string;
  pid: number;
  /** Its listeners (null: not running; plain ones only on loopback or with --plain) and the CA that verifies it. */
  broker: BrokerUrls & { caFile: string };
  /** The web dashboard (its /metrics too), unless the desk was made without one. */
  dashboard: string | null;
  monitor: { user: string; password: string };
  image: { file: string; sha256: string; programmed: number };
  /** Set when the desk's last broker ports were taken and it moved to new ones. */
  portsNote: string | null;
  /** The desk LAN its boards' guest networks cross (namespace, bridge, subnet, each board's address), or why there is none. */
  lan: DeskLan | null;
}

/** Starts the supervisor as its own session so it outlives the CLI; stdio goes to its log. */
function spawnSupervisor(layout: DeskLayout): number {
  const log = openSync(layout.supervisorLog, 'a');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'desk', 'supervise', '--state', layout.root], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  return child.pid!;
}

async function tail(file: string, lines = 5): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join('\n');
}

/**
 * A supervisor that died without cleaning up leaves its boards and console relays running in
 * its process group (it leads one: it was started detached), and its desk LAN's namespaces
 * (with whatever its boards made in them). Take them down before reusing the folder, or their
 * ptys and broker sessions get in the way.
 */
async function reapCrashedDesk(layout: DeskLayout): Promise<void> {
  const stale = await readRunFile(layout);
  if (stale && isAlive(stale.pid)) return;
  if (stale) await killGroup(stale.pid);
  await removeDeskLan(layout);
  await rm(layout.runFile, { force: true });
}

/**
 * SIGKILL is delivered asynchronously: until the group's socat relays have really exited,
 * their ptys stay open and a new desk cannot take the console links over.
 */
async function killGroup(pgid: number): Promise<void> {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  await waitFor(() => groupMembers(pgid).length === 0, Date.now() + 10_000, `the processes of desk group ${pgid} to exit`);
}

export async function deskUp(opts: ProvisionOptions & { state: string; timeoutS: number; boardImage?: string; onProgress?: (online: number, total: number) => void }): Promise<UpResult> {
  const layout = deskLayout(opts.state);
  const running = await readLiveRunFile(layout);
  if (running) throw new DeskStateError(`a desk is already up in ${layout.root} (pid ${running.pid}); run deskbox desk down first`);
  await reapCrashedDesk(layout);
  await clearDown(layout);
  await mkdir(layout.root, { recursive: true });
  const provisionFrom = performance.now();
  const desk = await provisionDesk(layout, opts);
  const t0 = performance.now();
  const images = await prepareDeskImages(layout, desk.boards.filter((b) => !desk.qemuBoards.includes(b)), { boardImage: opts.boardImage, logger: stderrLogger('desk:images', 'warn') });
  await prepareQemuDisks(layout, desk, { logger: stderrLogger('desk:qemu', 'warn') });
  const imagesMs = Math.round(performance.now() - t0);
  const pid = spawnSupervisor(layout);
  const deadline = Date.now() + opts.timeoutS * 1000;

  let run: RunFile | undefined;
  await waitFor(async () => {
    if (!isAlive(pid)) throw new DeskStateError(`the desk supervisor exited during start-up:\n${await tail(layout.supervisorLog)}`);
    run = await readLiveRunFile(layout);
    return run?.pid === pid;
  }, deadline, 'the desk supervisor to start its broker');
  const started = run!; // what waitFor waited for
  const startedAt = performance.now();

  const access = await resolveAccess({ state: opts.state }, 'monitor');
  // A whole desk logging in at once keeps the broker's password checks busy for seconds.
  const client = await connectToDesk(access, 'desk-up', 30_000);
  try {
    const view = createBoardView(desk.desk);
    const online = () => view.rows(desk.boards).filter((r) => r.state === 'online').length;
    client.on('message', (t, p, packet) => { if (view.apply(t, p, packet.retain)) opts.onProgress?.(online(), desk.boards.length); });
    await client.subscribeAsync(allBoardsFilter(desk.desk, 'status'), { qos: 1 });
    await waitFor(async () => online() === desk.boards.length, deadline, `all ${desk.boards.length} boards to come online`).catch(async (err: Error) => {
      throw new DeskStateError(`${err.message} (${online()} online; see ${layout.logsDir})`);
    });
    return {
      desk: desk.desk,
      boards: desk.boards.length,
      online: online(),
      msToAllOnline: Math.round(performance.now() - t0),
      phases: { provisionMs: Math.round(t0 - provisionFrom), imagesMs, supervisorMs: Math.round(startedAt - t0) - imagesMs, onlineMs: Math.round(performance.now() - startedAt) },
      state: layout.root,
      pid,
      broker: { ...brokerUrls(started.host, started), caFile: layout.tls.caCert },
      dashboard: started.dashboardUrl ?? null,
      monitor: { user: access.username, password: access.password },
      image: { file: images.image, sha256: images.sha256, programmed: images.programmed.length },
      portsNote: started.portsNote ?? null,
      lan: started.lan ?? null,
    };
  } finally {
    await client.endAsync();
  }
}

export async function deskDown(state: string, timeoutS: number): Promise<{ pid: number; forced: boolean } | undefined> {
  const layout = deskLayout(state);
  const run = await readRunFile(layout);
  if (!run || !isAlive(run.pid)) {
    // A supervisor that died (or never wrote its run file) may have left namespaces behind.
    await reapCrashedDesk(layout);
    return run ? { pid: run.pid, forced: true } : undefined;
  }
  process.kill(run.pid, 'SIGTERM');
  let forced = false;
  try {
    await waitFor(async () => !isAlive(run.pid), Date.now() + timeoutS * 1000, `the desk supervisor (pid ${run.pid}) to stop`);
  } catch {
    // The supervisor leads its own process group: killing the group takes its boards and
    // console relays with it, so nothing is left running.
    await killGroup(run.pid);
    forced = true;
  }
  // The supervisor removes its desk LAN as it stops; one killed on the way leaves it to us.
  await removeDeskLan(layout);
  return { pid: run.pid, forced };
}
