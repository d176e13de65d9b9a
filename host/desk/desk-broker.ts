/** The simulated desk's broker: its users file and an SQLite store in the state folder. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../platform/log.ts';
import { createDeskBroker, type DeskBroker, loadUsers, openSqlitePersistence } from '../../broker/index.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import type { BrokerPorts } from './broker-ports.ts';

/** `ports`: what the supervisor asks for (broker-ports.ts); 0 is any free port. */
export async function startDeskBroker(layout: DeskLayout, desk: DeskFile, ports: BrokerPorts, logger: Logger): Promise<DeskBroker> {
  const users = await loadUsers(layout.usersFile);
  await mkdir(dirname(layout.brokerStore), { recursive: true });
  const persistence = await openSqlitePersistence({ path: layout.brokerStore, onError: (e) => logger.error('retained message not stored', { error: e.message }) });
  let broker: DeskBroker;
  try {
    broker = await createDeskBroker({ host: desk.broker.host, port: ports.tcpPort, wsPort: ports.wsPort, users, persistence, logger });
  } catch (err) {
    await persistence.destroy();
    throw err;
  }
  return {
    tcpPort: broker.tcpPort,
    wsPort: broker.wsPort,
    broker: broker.broker,
    // aedes does not close its persistence; the store is flushed and closed after the broker.
    async close() {
      await broker.close();
      await persistence.destroy();
    },
  };
}
