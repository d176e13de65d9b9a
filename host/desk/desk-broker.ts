/**
 * The simulated desk's broker: its users file, an SQLite store and the desk's certificate
 * (tls/server.pem) in the state folder.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../platform/log.ts';
import { createDeskBroker, type DeskBroker, loadUsers, openClusterStore, openSqlitePersistence } from '../../broker/index.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import type { BrokerPorts } from './broker-ports.ts';

/** `ports`: what the supervisor asks for (broker-ports.ts); 0 is any free port, null none. */
/** `cluster`: a node of a cluster on this redis-server, by this name. */
export async function startDeskBroker(layout: DeskLayout, desk: DeskFile, ports: BrokerPorts, logger: Logger, cluster?: ClusterNode): Promise<DeskBroker> {
  const users = await loadUsers(layout.usersFile);
  const [cert, key] = await Promise.all([readFile(layout.tls.serverCert), readFile(layout.tls.serverKey)]);
  if (cluster) return startClusterNode(desk, ports, logger, cluster, users, { cert, key });
  await mkdir(dirname(layout.brokerStore), { recursive: true });
  const persistence = await openSqlitePersistence({ path: layout.brokerStore, onError: (e) => logger.error('broker store write failed', { error: e.message }) });
  return brokerOnStore(desk, ports, logger, users, { cert, key }, { persistence, destroy: () => persistence.destroy() });
}

/** Where a desk broker keeps its state: its persistence (and a cluster's message routing), closed after it. */
interface BrokerStore {
  persistence: unknown;
  mq?: unknown;
  destroy(): Promise<void>;
}

async function brokerOnStore(desk: DeskFile, ports: BrokerPorts, logger: Logger, users: Awaited<ReturnType<typeof loadUsers>>, tls: { cert: Buffer; key: Buffer }, store: BrokerStore, node?: string): Promise<DeskBroker> {
  let broker: DeskBroker;
  try {
    broker = await createDeskBroker({
      host: desk.broker.host, port: ports.tcpPort, wsPort: ports.wsPort, plainBeyondLoopback: desk.broker.plain,
      tls: { ...tls, port: ports.tlsPort, wssPort: ports.wssPort }, users, persistence: store.persistence, logger,
      ...(store.mq ? { mq: store.mq } : {}), ...(node !== undefined ? { node } : {}),
    });
  } catch (err) {
    await store.destroy();
    throw err;
  }
  return {
    tcpPort: broker.tcpPort,
    wsPort: broker.wsPort,
    tlsPort: broker.tlsPort,
    wssPort: broker.wssPort,
    broker: broker.broker,
    // aedes does not close its persistence; the store is flushed and closed after the broker.
    async close() {
      await broker.close();
      await store.destroy();
    },
  };
}

export interface ClusterNode {
  /** Its redis-server. */
  url: string;
  /** Its name in $SYS statistics (node0, node1...). */
  node: string;
}

/** A node of a cluster (`desk up --broker-nodes N`): the same users file, the store in Redis. */
function startClusterNode(desk: DeskFile, ports: BrokerPorts, logger: Logger, { url, node }: ClusterNode, users: Awaited<ReturnType<typeof loadUsers>>, tls: { cert: Buffer; key: Buffer }): Promise<DeskBroker> {
  const store = openClusterStore(url, (e) => logger.error('cluster store error', { error: e.message }));
  return brokerOnStore(desk, ports, logger, users, tls, { persistence: store.persistence, mq: store.mq, destroy: () => store.destroy() }, node);
}
