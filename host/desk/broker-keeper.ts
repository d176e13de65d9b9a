/**
 * Keeps the desk's broker running. A broker process that dies (a crash, the OOM killer,
 * kill -9) is started again at once on the same ports (plain and TLS) with the same SQLite
 * store: the boards' configs and every client hold those ports, mqtt.js clients reconnect by
 * themselves, and persistent sessions with their queued QoS 1 messages are in the store. A
 * broker that keeps dying is not hidden behind restarts: the desk goes down with the reason.
 */
import type { Logger } from '../../platform/log.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import { spawnBrokerProcess, type BrokerProcess, type NodeOptions } from './broker-process.ts';
import { otherNodePorts, portsIn, type BrokerPorts } from './broker-ports.ts';
import { startBrokerOnWantedPorts } from './broker-start.ts';
import { createCrashWindow, CrashLimitError } from './crash-window.ts';

/**
 * Five crashes within a minute: a one-off fault is restarted several times over, while a
 * broker that dies at every start (a damaged store, its port taken by another program) or at
 * every reconnect storm is given up within seconds instead of flapping under the boards.
 */
export const BROKER_CRASH_LIMIT = 5;
export const BROKER_CRASH_WINDOW_MS = 60_000;

export interface BrokerHealth {
  /** null while it is being restarted (or after the desk gave up on it). */
  pid: number | null;
  restarts: number;
  /** How the last broker process ended (`signal SIGKILL`), or why its restart failed. */
  lastExit: string | null;
  /** From its last crash until it listened again. */
  lastDownMs: number | null;
}

export interface KeptBroker extends BrokerPorts {
  /** Set when the desk's stored ports were taken and the broker moved: for the user. */
  portsNote: string | null;
  health(): BrokerHealth;
  close(): Promise<void>;
}

export interface KeeperOptions {
  layout: DeskLayout;
  desk: DeskFile;
  /** The deskbox entry point the broker process runs from. */
  cli: string;
  logger: Logger;
  /** Called once, when the broker crashed too often: the desk must go down with this reason. */
  onGiveUp(error: CrashLimitError): void;
  /**
   * A cluster node (`desk up --broker-nodes`): its redis-server, and its number. Node 0 is the
   * desk's broker on its stored ports; the others take free ports
   * at their first start and keep them, each with its own log.
   */
  cluster?: { url: string; node: number };
}

export async function keepBrokerUp(opts: KeeperOptions): Promise<KeptBroker> {
  const { layout, cli, logger } = opts;
  const extra = opts.cluster && opts.cluster.node > 0;
  const node: NodeOptions = opts.cluster ? { cluster: { url: opts.cluster.url, node: `node${opts.cluster.node}` }, ...(extra ? { log: layout.brokerLog.replace(/\.log$/, `-${opts.cluster.node}.log`) } : {}) } : {};
  const first = extra
    ? { broker: await spawnBrokerProcess(layout, cli, otherNodePorts(opts.desk), logger, node), portsNote: null }
    : await startBrokerOnWantedPorts(layout, opts.desk, cli, logger, node);
  // Restarts ask for exactly these ports, never free ones: the boards know no others.
  const ports: BrokerPorts = portsIn(first.broker);
  const crashes = createCrashWindow(BROKER_CRASH_LIMIT, BROKER_CRASH_WINDOW_MS);
  const health: BrokerHealth = { pid: first.broker.pid, restarts: 0, lastExit: null, lastDownMs: null };
  let current: BrokerProcess | undefined = first.broker;
  let restarting: Promise<void> | undefined;
  let closing = false;

  const restart = async (how: string) => {
    const downAt = Date.now();
    for (let why = how; ; ) {
      health.lastExit = why;
      if (crashes.record(Date.now())) {
        const error = new CrashLimitError('the desk broker', BROKER_CRASH_LIMIT, BROKER_CRASH_WINDOW_MS, why);
        logger.error('broker crash-looping; giving up', { reason: error.message, log: layout.brokerLog });
        return opts.onGiveUp(error);
      }
      try {
        const broker = await spawnBrokerProcess(layout, cli, ports, logger, node);
        if (closing) return await broker.close();
        health.restarts++;
        health.lastDownMs = Date.now() - downAt;
        logger.warn('broker restarted', { pid: broker.pid, restarts: health.restarts, downMs: health.lastDownMs, ...ports });
        return watch(broker);
      } catch (err) {
        if (closing) return;
        why = (err as Error).message;
        logger.error('broker restart failed', { error: why });
      }
    }
  };

  const watch = (broker: BrokerProcess) => {
    current = broker;
    health.pid = broker.pid;
    void broker.exited.then((how) => {
      if (closing) return;
      current = undefined;
      health.pid = null;
      logger.error('broker process died; restarting it on the same ports', { pid: broker.pid, how, log: layout.brokerLog });
      restarting = restart(how).finally(() => (restarting = undefined));
    });
  };
  watch(first.broker);

  return {
    ...ports,
    portsNote: first.portsNote,
    health: () => ({ ...health }),
    async close() {
      closing = true;
      await restarting;
      await current?.close();
    },
  };
}
