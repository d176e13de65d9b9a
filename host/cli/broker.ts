/** `deskbox broker`: run the desk broker on its own (a real desk), and manage its users. */
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createDeskBroker, loadUsers, newUser, saveUsers, UserStore, ROLES, type Principal, openSqlitePersistence } from '../../broker/index.ts';
import { stderrLogger } from '../../platform/log.ts';
import { ensurePrivateDir } from '../../platform/private-files.ts';
import { action, printJson } from './run.ts';
import { portNumber } from './options.ts';

export function registerBroker(program: Command): void {
  const broker = program.command('broker')
    .description('run the desk MQTT broker (TCP + WebSocket, users, ACLs, persistence)')
    .option('--users <file>', 'credentials file (create users with: deskbox broker user add)', 'users.json')
    .option('--host <addr>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'MQTT TCP port', portNumber, 1883)
    .option('--ws-port <port>', 'MQTT over WebSocket port (path /mqtt); -1 for none', (v) => (v === '-1' ? -1 : portNumber(v)), 8083)
    .option('--data <dir>', 'folder for retained messages and sessions (SQLite)', 'broker-data')
    .action(action(async (o) => {
      const logger = stderrLogger('broker');
      const users = await loadUsers(o.users);
      // The store holds every retained and queued message: its folder is owner-only.
      await ensurePrivateDir(o.data);
      const persistence = await openSqlitePersistence({ path: join(o.data, 'store.db'), onError: (e) => logger.error('retained message not stored', { error: e.message }) });
      const server = await createDeskBroker({ host: o.host, port: o.port, wsPort: o.wsPort === -1 ? null : o.wsPort, users, persistence, logger });
      logger.info('listening', { mqtt: `mqtt://${o.host}:${server.tcpPort}`, ws: server.wsPort ? `ws://${o.host}:${server.wsPort}/mqtt` : 'off', users: users.list().length });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      await persistence.destroy();
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
      const password = process.env.DESKBOX_PASSWORD ?? randomBytes(18).toString('base64url');
      store.put(await newUser(principal, password));
      await saveUsers(o.users, store);
      if (o.json) return printJson({ ok: true, username, role: o.role, ...(process.env.DESKBOX_PASSWORD ? {} : { password }) });
      process.stdout.write(process.env.DESKBOX_PASSWORD ? `user ${username} (${o.role}) saved in ${o.users}\n` : `user ${username} (${o.role}) saved in ${o.users}; password: ${password}\n`);
    }));
}
