/**
 * `deskbox broker`: run the desk broker on its own (a real desk), and manage its users. It
 * listens on TLS (mqtts, wss) with a certificate of the user's or of a CA it keeps; beyond
 * loopback only on TLS, unless `--plain` asks for the plain listeners too.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createDeskBroker, loadUsers, newGeneratedUser, newUser, saveUsers, UserStore, ROLES, type Principal, generateSecret, openSqlitePersistence, openClusterStore, plainListenersAllowed } from '../../broker/index.ts';
import { stderrLogger, type Logger } from '../../platform/log.ts';
import { ensurePrivateDir } from '../../platform/private-files.ts';
import { action, printJson } from './run.ts';
import { portNumber } from './options.ts';
import { brokerIdentity } from '../tls/broker-identity.ts';
import { brokerUrls } from '../locations/broker-urls.ts';

const portOrOff = (v: string) => (v === '-1' ? -1 : portNumber(v));
const orNull = (port: number) => (port === -1 ? null : port);

interface NodeStore {
  persistence: unknown;
  mq?: unknown;
  /** After the broker closed. */
  destroy(): Promise<void>;
}

async function sqliteStore(data: string, logger: Logger): Promise<NodeStore> {
  // The store holds every retained and queued message: its folder is owner-only.
  await ensurePrivateDir(data);
  const persistence = await openSqlitePersistence({ path: join(data, 'store.db'), onError: (e) => logger.error('broker store write failed', { error: e.message }) });
  return { persistence, destroy: () => persistence.destroy() };
}

function clusterStore(url: string, logger: Logger): NodeStore {
  const store = openClusterStore(url, (e) => logger.error('cluster store error', { error: e.message }));
  return { persistence: store.persistence, mq: store.mq, destroy: () => store.destroy() };
}

export function registerBroker(program: Command): void {
  const broker = program.command('broker')
    .description('run the desk MQTT broker (MQTT and WebSocket over TLS, plain on loopback; users, ACLs, persistence)')
    .option('--users <file>', 'credentials file (create users with: deskbox broker user add)', 'users.json')
    .option('--host <addr>', 'interface to listen on; beyond loopback (e.g. 0.0.0.0) only over TLS unless --plain', '127.0.0.1')
    .option('--plain', 'beyond loopback, also listen on plain MQTT and WebSocket (passwords cross the network in clear)')
    .option('--port <port>', 'plain MQTT port (on loopback, or with --plain); -1 for none', portOrOff, 1883)
    .option('--ws-port <port>', 'plain MQTT over WebSocket port (path /mqtt); -1 for none', portOrOff, 8083)
    .option('--tls-port <port>', 'MQTT over TLS (mqtts) port; -1 for none', portOrOff, 8883)
    .option('--wss-port <port>', 'MQTT over secure WebSocket (wss, path /mqtt) port; -1 for none', portOrOff, 8084)
    .option('--tls-dir <dir>', 'folder of the broker\'s own CA (ca.pem: what clients verify it with) and certificate, made at the first start, renewed when they run out or miss a name', 'broker-tls')
    .option('--cert <file>', 'your own certificate (PEM chain) instead of one from --tls-dir; with --key')
    .option('--key <file>', 'the private key (PEM) of --cert')
    .option('--data <dir>', 'folder for retained messages and sessions (SQLite)', 'broker-data')
    .option('--cluster <url>', 'run as one node of a cluster sharing this Redis (redis://host:port): messages routed and sessions and retained messages kept there instead of --data; every node loads the same --users file (docs/architecture.md)')
    .option('--node <name>', 'with --cluster: this node\'s name in $SYS statistics, which readers add up per node (default: <host name>:<port>)')
    .action(action(async (o) => {
      const logger = stderrLogger('broker');
      const tlsWanted = o.tlsPort !== -1 || o.wssPort !== -1;
      const identity = tlsWanted ? await brokerIdentity({ cert: o.cert, key: o.key, dir: o.tlsDir, host: o.host }) : undefined;
      const users = await loadUsers(o.users);
      const store = o.cluster ? clusterStore(o.cluster, logger) : await sqliteStore(o.data, logger);
      const { persistence } = store;
      const server = await createDeskBroker({
        host: o.host, port: orNull(o.port), wsPort: orNull(o.wsPort), plainBeyondLoopback: Boolean(o.plain), users, persistence, logger,
        ...(o.cluster ? { node: o.node ?? `${hostname()}:${o.tlsPort !== -1 ? o.tlsPort : o.port}` } : {}),
        ...(store.mq ? { mq: store.mq } : {}),
        ...(identity ? { tls: { cert: identity.cert, key: identity.key, port: orNull(o.tlsPort), wssPort: orNull(o.wssPort) } } : {}),
      }).catch(async (err: unknown) => {
        await store.destroy();
        throw err;
      });
      const urls = brokerUrls(o.host, server);
      if (!plainListenersAllowed(o.host, Boolean(o.plain))) logger.info('plain listeners off beyond loopback (--plain turns them on)');
      logger.info('listening', { ...urls, ca: identity?.caFile ?? null, users: users.list().length, ...(o.cluster ? { cluster: o.cluster } : {}) });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      await store.destroy();
    }));

  broker.command('user')
    .description('manage the broker\'s users')
    .command('add')
    .description('add or replace a user; prints the new password once (or reads it from DESKBOX_PASSWORD)')
    .argument('<username>')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--desk <id>', 'desk of a board user', 'desk1')
    .option('--board <id>', 'board id of a board user (default: the username)')
    .option('--users <file>', 'credentials file', 'users.json')
    .option('--json', 'print JSON')
    .action(action(async (username: string, o) => {
      if (!(ROLES as readonly string[]).includes(o.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const principal: Principal = o.role === 'board'
        ? { role: 'board', username, desk: o.desk, board: o.board ?? username }
        : { role: o.role, username };
      const store = existsSync(o.users) ? await loadUsers(o.users) : new UserStore();
      const chosen = process.env.DESKBOX_PASSWORD;
      const password = chosen ?? generateSecret();
      store.put(chosen === undefined ? newGeneratedUser(principal, password) : await newUser(principal, chosen));
      await saveUsers(o.users, store);
      if (o.json) return printJson({ ok: true, username, role: o.role, ...(process.env.DESKBOX_PASSWORD ? {} : { password }) });
      process.stdout.write(process.env.DESKBOX_PASSWORD ? `user ${username} (${o.role}) saved in ${o.users}\n` : `user ${username} (${o.role}) saved in ${o.users}; password: ${password}\n`);
    }));
}
