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
import { spawnBrokerProcess, type NodeOptions } from './broker-process.ts';
import { otherNodePorts, portsIn, type BrokerPorts } from './broker-ports.ts';
import { startBrokerOnWantedPorts } from './broker-start.ts';
import type { CrashLimitError } from './crash-window.ts';
import { keepProcess, type KeeperHealth } from './process-keeper.ts';

/** The broker's give-up policy is the keeper's (process-keeper.ts). */
export { CRASH_LIMIT as BROKER_CRASH_LIMIT, CRASH_WINDOW_MS as BROKER_CRASH_WINDOW_MS } from './process-keeper.ts';
export type BrokerHealth = KeeperHealth;

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
  const kept = keepProcess({
    what: 'the desk broker', first: first.broker, logger, onGiveUp: opts.onGiveUp, context: { ...ports, log: node.log ?? layout.brokerLog },
    restart: () => spawnBrokerProcess(layout, cli, ports, logger, node),
    stop: (broker) => broker.close(),
  });
  return { ...ports, portsNote: first.portsNote, health: kept.health, close: kept.close };
}
