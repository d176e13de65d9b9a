/**
 * The simulated desk's long-running process: the desk broker (restarted when it dies), each
 * board's hardware (power sensor files, GPIO files, a pty console) and the board processes,
 * plus a control socket. It runs until told to stop, or until its broker crash-loops, then
 * takes everything it started down with it.
 */
import { mkdir, rm } from 'node:fs/promises';
import pLimit from 'p-limit';
import type { Logger } from '../../platform/log.ts';
import { deskLayout, type DeskLayout } from '../locations/layout.ts';
import { join, dirname } from 'node:path';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { loadPublicKey } from '../../images/format/keys.ts';
import { runUboot } from './uboot-sim.ts';
import { systemClock } from '../../platform/clock.ts';
import { SIM_BOARD_TYPE } from './desk-images.ts';
import { bootProgramPath } from '../locations/package-paths.ts';
import { readDeskFile, type RunFile } from '../locations/desk-file.ts';
import { writeJsonAtomic } from '../locations/json-files.ts';
import { keepBrokerUp, type KeptBroker } from './broker-keeper.ts';
import { keepRedisUp, type KeptRedis } from './redis-keeper.ts';
import type { CrashLimitError } from './crash-window.ts';
import { portsIn } from './broker-ports.ts';
import { brokerUrls } from '../locations/broker-urls.ts';
import { recordDown } from './down-file.ts';
import type { DeskStatus } from './status.ts';
import { serveDeskDashboard } from './desk-dashboard.ts';
import { startDeskHealth } from './desk-health.ts';
import type { BoardOutlets } from '../health/board-outlets.ts';
import { startDeskSchedules } from '../schedule/desk-schedules.ts';
import { prepareSimBoard, type SimBoard } from './sim-board.ts';
import { startPtyHost } from './pty-host.ts';
import { createBoardProcesses, groupBoards, type PowerAction } from './board-processes.ts';
import { startPowerLoop } from './power-loop.ts';
import { forgetBoardRam } from './board-ram.ts';
import { ControlError, startControlServer } from './control.ts';
import { prepareQemuDeskBoards } from './qemu-desk-board.ts';
import { boardNetConfig, buildDeskLan, describeDeskLan, planDeskLan, removeDeskLan, wipeBoardNetworks } from './desk-lan.ts';

export interface SupervisorOptions {
  stateDir: string;
  /** The deskbox entry point, to start the broker process and dashboard flash jobs from. */
  cli: string;
  /** How the user runs deskbox (`deskbox`, `node dist/deskbox.mjs`), for commands the dashboard suggests. */
  cliHint: string;
  logger: Logger;
}

const POWER_ACTIONS: readonly string[] = ['on', 'off', 'cycle'];
/** The simulated boards' RAM that `loady` may fill. */
const MAX_LOAD_BYTES = 256 * 1024 * 1024;

export async function runSupervisor(opts: SupervisorOptions): Promise<void> {
  const { logger } = opts;
  const layout = deskLayout(opts.stateDir);
  const clock = systemClock();
  const desk = await readDeskFile(layout);
  await mkdir(layout.logsDir, { recursive: true });
  const cleanups: Array<() => Promise<void> | void> = [];
  /** Set when the desk goes down on its own: the supervisor then ends with this error. */
  let down: { error: Error; recorded: Promise<void> } | undefined;
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.warn('cleanup step failed', { error: (err as Error).message });
      }
    }
  };

  try {
    // Guest state and unpacked agents live in RAM, as on a board; they go when the desk does.
    await mkdir(layout.bootCacheDir, { recursive: true });
    const simIds = desk.boards.filter((b) => !desk.qemuBoards.includes(b));
    await mkdir(dirname(layout.board(desk.boards[0]!).bootInfo), { recursive: true });
    cleanups.push(() => rm(layout.ramDir, { recursive: true, force: true }));
    // The wire between the boards their guest networks cross: planned now, made (replacing what a
    // crashed desk left) while the broker starts and the boards boot, whose net services wait for
    // the ready file (board/net/lan-ready.ts); removed once they are down, with whatever they
    // made in it. buildDeskLan never throws (no LAN: it says why).
    let lan = await planDeskLan(layout, desk.boards, (b) => simIds.includes(b));
    await rm(layout.lanReadyFile, { force: true });
    const lanStarted = performance.now();
    const lanBuilt = buildDeskLan(layout, lan).then(async (built) => {
      const timing = { ms: Math.round(performance.now() - lanStarted) };
      if (built.up) logger.info('desk LAN up', { lan: describeDeskLan(built), ...timing });
      else logger.warn('no desk LAN', { reason: built.reason, ...timing });
      await writeJsonAtomic(layout.lanReadyFile, built.up ? { up: true } : { up: false, reason: built.reason });
      return built;
    });
    cleanups.push(async () => {
      await lanBuilt.catch(() => undefined);
      const removed = await removeDeskLan(layout);
      if (removed.length > 0) logger.info('desk LAN removed', { namespaces: removed.length });
    });
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const onGiveUp = (error: CrashLimitError) => {
      if (down) return;
      logger.error('desk going down', { reason: error.message });
      // Recorded at once: stopping the boards can take a while, and `desk status` should say why now.
      down = { error, recorded: recordDown(layout, error.message).catch((e: Error) => logger.warn('could not record why the desk went down', { error: e.message })) };
      stop();
    };
    // A cluster (desk.json brokerNodes > 1): a redis-server of the desk's own, keeping an
    // append-only file in the state folder (retained statuses and sessions outlive desk down,
    // as the SQLite store's do), then the nodes, each kept up as the one broker is.
    let redis: KeptRedis | undefined;
    if (desk.brokerNodes > 1) {
      const dir = join(layout.root, 'redis');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const r = (redis = await keepRedisUp({ dir, logger: logger.child('redis'), onGiveUp }));
      cleanups.push(() => r.close());
      logger.info('redis-server up', { url: r.url, pid: r.health().pid, nodes: desk.brokerNodes });
    }
    const nodes: KeptBroker[] = [];
    for (let n = 0; n < desk.brokerNodes; n++) {
      const kept = await keepBrokerUp({
        layout, desk, cli: opts.cli, logger: logger.child(n === 0 ? 'broker' : `broker-${n}`), onGiveUp,
        ...(redis ? { cluster: { url: redis.url, node: n } } : {}),
      });
      nodes.push(kept);
      cleanups.push(() => kept.close());
    }
    const broker = nodes[0]!;
    const ports = portsIn(broker);
    const urls = brokerUrls(desk.broker.host, ports);
    // Boards verify the broker against the desk's CA, as a real board's `--ca` makes it do (a
    // desk's broker always has its TLS listener: desk.json's tlsPort is never null). A
    // cluster's boards get every node, each starting at a different one to spread them.
    const nodeUrls = nodes.map((n) => brokerUrls(desk.broker.host, portsIn(n)).mqtts!);
    const boardBroker = { url: urls.mqtts!, caFile: layout.tls.caCert, ...(nodes.length > 1 ? { urls: nodeUrls } : {}) };
    // Up before the boards boot, so the page shows them coming.
    const dashboard = await serveDeskDashboard(layout, desk, { host: desk.broker.host, ...ports, ...(nodes.length > 1 ? { nodes: nodes.map(portsIn) } : {}) }, { entry: opts.cli, hint: opts.cliHint }, logger.child('dashboard'));
    if (dashboard) cleanups.push(() => dashboard.close());
    // Judges the boards from their first word on; stopped before the broker (cleanups run backwards).
    let procs: ReturnType<typeof createBoardProcesses> | undefined;
    // The desk's own switch, for the control socket's `power` and the health service's power
    // cycles; it works once the boards and their power loop exist (set below).
    let switchBoard: ((board: string, action: PowerAction) => Promise<unknown>) | undefined;
    const switchedOff = (board: string) => procs?.group(board)?.power === 'off';
    const outlets: BoardOutlets = {
      outletOf: (board) => (desk.boards.includes(board)
        ? {
          async cycle() {
            if (!switchBoard) throw new Error('the desk is still starting: its switch is not ready');
            await switchBoard(board, 'cycle');
          },
          state: async () => (switchedOff(board) ? 'off' : 'on'),
        }
        : undefined),
    };
    const health = await startDeskHealth(layout, desk, { host: desk.broker.host, ...ports }, { outlets, switchedOff, logger: logger.child('health') });
    cleanups.push(() => health.close());
    // The desk's schedules (`deskbox schedule add`), run as the desk's own commands.
    const schedules = startDeskSchedules({ state: layout.root, cli: opts.cli, clock, logger: logger.child('schedule') });
    cleanups.push(() => schedules.stop());

    // The boards' boot programs trust the desk's key (desk up makes it and signs the images).
    const key = await loadPublicKey(layout.publicKey);
    // Every console's pty pairs, in one process: the boards' closes below run before its own.
    const ptys = await startPtyHost();
    cleanups.push(() => ptys.close());
    const boards = new Map<string, SimBoard>();
    cleanups.push(() => Promise.all([...boards.values()].map((b) => b.close())).then(() => undefined));
    // Each board waits on its pty pairs and opens their inner ends: a few at a time.
    const prepare = pLimit(16);
    const preparedFrom = performance.now();
    // A cluster's boards get every node, each starting at a different one to spread them.
    const boardBrokerOf = (i: number) => (nodes.length > 1 ? { ...boardBroker, url: nodeUrls[i % nodes.length]! } : boardBroker);
    // Settle them all before failing, so every pair that did open is in `boards` for cleanup.
    const prepared = await Promise.allSettled(simIds.map((id, i) => prepare(async () => boards.set(id, await prepareSimBoard(layout, desk, id, boardBrokerOf(i), key.text, logger.child(id), ptys.openPair, boardNetConfig(layout, lan, id))))));
    const failed = prepared.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    logger.info('board hardware ready', { boards: simIds.length, ms: Math.round(performance.now() - preparedFrom) });

    // Power-on: U-Boot's countdown (a key stops it: flashing over U-Boot); then Linux, whose
    // part here is the board-side boot program the board processes start.
    const firmware = async (id: string, signal: AbortSignal) => {
      const uart = await boards.get(id)!.openUart();
      // Power gone: U-Boot may sit at its prompt or in a transfer; closing its UART ends that.
      const powerGone = new Promise<never>((_, reject) => {
        const onAbort = () => { reject(new Error('power switched off during boot')); void uart.close(); };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      powerGone.catch(() => undefined);
      const slots = openFlashSlots(layout.board(id).flashDir);
      try {
        while (await Promise.race([powerGone, runUboot({ link: uart, clock, bootDelayMs: desk.bootDelayMs, slots, keys: [key], boardType: SIM_BOARD_TYPE, maxLoadBytes: MAX_LOAD_BYTES, logger: logger.child('uboot') })]) === 'reset');
        if (signal.aborted) throw new Error('power switched off during boot');
      } finally {
        await uart.close();
      }
    };
    procs = createBoardProcesses(groupBoards(simIds, desk.boardsPerProcess, (b) => layout.board(b).configFile), {
      firmware,
      bootProgram: bootProgramPath(),
      logsDir: layout.logsDir,
      restartDelayS: desk.restartDelayS,
      onPowerOff: async (off: readonly string[]) => {
        await forgetBoardRam(layout, off);
        if (lan.up) await wipeBoardNetworks(layout, off);
      },
      logger: logger.child('boards'),
    });
    cleanups.push(() => procs.stopAll());
    const poweredFrom = performance.now();
    await procs.powerOnAll();
    // U-Boot on every console, then the boot programs spawned: the rest of a desk's start is theirs.
    logger.info('boards powered on', { boards: simIds.length, ms: Math.round(performance.now() - poweredFrom) });
    const power = startPowerLoop(procs, boards, logger.child('power'));
    cleanups.push(() => power.stop());
    // QEMU reaches the broker's TLS listener on loopback (the board verifies it with the desk's
    // CA); a cluster's every node, node 0 first.
    const qemu = await prepareQemuDeskBoards(layout, desk, nodes.map((n) => n.tlsPort!), logger.child('qemu'));
    cleanups.push(() => Promise.all([...qemu.values()].map((b) => b.close())).then(() => undefined));
    switchBoard = async (board, action) => {
      const machine = qemu.get(board);
      if (machine) return machine.power(action);
      const state = await procs!.power(board, action);
      await power.refresh();
      return state;
    };

    const control = await startControlServer(layout.controlSocket, {
      async link(board, changes) {
        const sim = boards.get(board) ?? qemu.get(board);
        if (!sim) throw new ControlError(`no board "${board}" on this desk`, 404);
        const { plugged, adapterPlugged, ...settings } = changes;
        const known = ['baud', 'latencyMs', 'bitErrorRate', 'dropRate'];
        const unknown = Object.keys(settings).find((k) => !known.includes(k));
        if (unknown) throw new ControlError(`unknown link setting "${unknown}" (known: ${known.join(', ')}, plugged, adapterPlugged)`);
        try {
          sim.link.set(settings);
        } catch (e) {
          throw new ControlError((e as Error).message);
        }
        if (plugged === false) sim.link.unplug();
        if (plugged === true) sim.link.plug();
        if (adapterPlugged === false) await sim.link.unplugAdapter();
        if (adapterPlugged === true) await sim.link.plugAdapter();
        return { board, ...sim.link.settings(), adapter: sim.link.adapterPresent() ? 'present' : 'unplugged', stats: sim.link.stats() };
      },
      status: (): DeskStatus => ({
        desk: desk.desk, pid: process.pid, broker: { ...urls, ...broker.health() },
        ...(redis ? { nodes: nodes.map((n) => ({ ...brokerUrls(desk.broker.host, portsIn(n)), ...n.health() })), redis: redis.health() } : {}),
        dashboard: dashboard?.url ?? null, groups: [...procs.groups(), ...[...qemu.values()].map((b) => b.state())], lan }),
      async power(board, action) {
        if (!POWER_ACTIONS.includes(action)) throw new ControlError(`power action must be one of ${POWER_ACTIONS.join(', ')}`);
        return switchBoard!(board, action as PowerAction);
      },
    });
    cleanups.push(() => new Promise<void>((resolve) => control.close(() => resolve())));
    cleanups.push(() => rm(layout.controlSocket, { force: true }));

    const run: RunFile = {
      v: 1, pid: process.pid, startedAt: Date.now(), host: desk.broker.host, ...ports,
      ...(dashboard ? { dashboardUrl: dashboard.url } : {}),
      ...(broker.portsNote ? { portsNote: broker.portsNote } : {}),
      lan,
      ...(redis ? { nodes: nodes.map((n) => portsIn(n)), redis: { url: redis.url } } : {}),
    };
    await writeJsonAtomic(layout.runFile, run);
    // The run file named the planned LAN; one that could not be made is said there too.
    const lanRecorded = lanBuilt.then(async (built) => {
      lan = built;
      if (!built.up) await writeJsonAtomic(layout.runFile, { ...run, lan: built });
    }).catch((e: Error) => logger.warn('could not record the desk LAN', { error: e.message }));
    cleanups.push(async () => {
      await lanRecorded;
      await rm(layout.runFile, { force: true });
    });
    logger.info('desk up', { desk: desk.desk, boards: desk.boards.length, broker: boardBroker.url });

    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await stopped;
    logger.info('desk going down');
  } finally {
    await cleanup();
    logger.info('desk down');
  }
  if (down) {
    await down.recorded;
    throw down.error;
  }
}
