/** The simulated desk's broker: its users file and an SQLite store in the state folder. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../platform/log.ts';
import { createDeskBroker, type DeskBroker, loadUsers, openSqlitePersistence } from '../../broker/index.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';

export async function startDeskBroker(layout: DeskLayout, desk: DeskFile, logger: Logger): Promise<DeskBroker> {
  const users = await loadUsers(layout.usersFile);
  await mkdir(dirname(layout.brokerStore), { recursive: true });
  const persistence = await openSqlitePersistence({ path: layout.brokerStore, onError: (e) => logger.error('retained message not stored', { error: e.message }) });
  const broker = await createDeskBroker({ host: desk.broker.host, port: desk.broker.port, wsPort: desk.broker.wsPort, users, persistence, logger });
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
