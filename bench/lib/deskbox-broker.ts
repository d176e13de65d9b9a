/**
 * The deskbox broker for bench/broker.ts, in a process of its own, as host/desk/desk-broker.ts
 * runs it (users file with scrypt hashes, the SQLite store, the policy hooks, the same aedes
 * options through createDeskBroker) minus TLS: plain MQTT on loopback only, like the mosquitto
 * it is compared with. `node --import tsx bench/lib/deskbox-broker.ts <users.json> <store.sqlite|memory>`
 * (`memory`: aedes' in-memory store instead of SQLite);
 * prints `{"port":N}` once listening, stops on SIGTERM or when stdin ends.
 */
import { createDeskBroker, loadUsers, openSqlitePersistence } from '../../broker/index.ts';
import { stderrLogger } from '../../platform/log.ts';

const [usersFile, storeFile] = process.argv.slice(2);
if (!usersFile || !storeFile) throw new Error('usage: deskbox-broker.ts <users.json> <store.sqlite>');
const logger = stderrLogger('broker', 'warn');
const users = await loadUsers(usersFile);
const persistence = storeFile === 'memory' ? undefined : await openSqlitePersistence({ path: storeFile, onError: (e) => logger.error('broker store write failed', { error: e.message }) });
const broker = await createDeskBroker({ host: '127.0.0.1', port: 0, wsPort: null, users, ...(persistence && { persistence }), logger });
process.stdout.write(`${JSON.stringify({ port: broker.tcpPort })}\n`);
await new Promise<void>((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
  process.stdin.once('end', resolve);
  process.stdin.resume();
});
await broker.close();
await persistence?.destroy();
process.stdin.destroy();
