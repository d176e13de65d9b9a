/**
 * The simulated desk's broker: its users file, an SQLite store and the desk's certificate
 * (tls/server.pem) in the state folder.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../platform/log.ts';
import { createDeskBroker, type DeskBroker, loadUsers, openSqlitePersistence } from '../../broker/index.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import type { BrokerPorts } from './broker-ports.ts';

/** `ports`: what the supervisor asks for (broker-ports.ts); 0 is any free port, null none. */
export async function startDeskBroker(layout: DeskLayout, desk: DeskFile, ports: BrokerPorts, logger: Logger): Promise<DeskBroker> {
  const users = await loadUsers(layout.usersFile);
  const [cert, key] = await Promise.all([readFile(layout.tls.serverCert), readFile(layout.tls.serverKey)]);
  await mkdir(dirname(layout.brokerStore), { recursive: true });
  const persistence = await openSqlitePersistence({ path: layout.brokerStore, onError: (e) => logger.error('broker store write failed', { error: e.message }) });
  let broker: DeskBroker;
  try {
    broker = await createDeskBroker({
      host: desk.broker.host, port: ports.tcpPort, wsPort: ports.wsPort, plainBeyondLoopback: desk.broker.plain,
      tls: { cert, key, port: ports.tlsPort, wssPort: ports.wssPort }, users, persistence, logger,
    });
  } catch (err) {
    await persistence.destroy();
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
      await persistence.destroy();
    },
  };
}
