/**
 * The desk broker as a real desk runs it: `deskbox broker` (the built CLI) in a process of its
 * own, with its SQLite store and a users file holding the host and one board user per board
 * (scrypt at the default cost, board ACLs), on a free loopback port. Only the plain listener:
 * TLS is the same broker behind a TLS socket and is not what is measured here.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { newUser, saveUsers, UserStore } from '../../broker/index.ts';
import { DESKBOX_CLI } from '../../test/support/deskbox.ts';
import { stopChild } from '../../platform/child-stop.ts';

export interface DeskBrokerCli {
  url: string;
  pid: number;
  hostPassword: string;
  /** Every board's password (board users are named after their board). */
  boardPassword: string;
  /** SIGTERM, then SIGKILL after a grace; resolves once the process is gone. */
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5000;

/** `boardScrypt`: the board users' password cost; absent, the default (~50 ms a check), as `desk up` makes them. */
export async function startDeskBrokerCli(dir: string, desk: string, boards: readonly string[], boardScrypt?: Parameters<typeof newUser>[2]): Promise<DeskBrokerCli> {
  const hostPassword = randomBytes(12).toString('base64url');
  const boardPassword = randomBytes(12).toString('base64url');
  const users = new UserStore();
  users.put(await newUser({ role: 'host', username: 'host' }, hostPassword));
  // Hashed in parallel: scrypt runs on libuv's threads, ~50 ms each.
  for (const entry of await Promise.all(boards.map((board) => newUser({ role: 'board', username: board, desk, board }, boardPassword, boardScrypt)))) users.put(entry);
  const usersFile = join(dir, 'users.json');
  await saveUsers(usersFile, users);

  const child = spawn(process.execPath, [DESKBOX_CLI, 'broker', '--users', usersFile, '--data', join(dir, 'broker-data'),
    '--port', '0', '--ws-port', '-1', '--tls-port', '-1', '--wss-port', '-1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)));
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deskbox broker did not listen within ${START_TIMEOUT_MS} ms: ${log}`)), START_TIMEOUT_MS);
    child.stderr!.on('data', (d: Buffer) => {
      // Only the start-up lines are kept: a long run must not grow this string.
      if (log.length < 64 * 1024) log += d.toString();
      const m = /"url":"(mqtt:\/\/[^"]+)"/.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    void exited.then((how) => { clearTimeout(timer); reject(new Error(`deskbox broker exited during start-up (${how}): ${log}`)); });
  }).catch((err: Error) => { child.kill('SIGKILL'); throw err; });

  return {
    url, pid: child.pid!, hostPassword, boardPassword,
    close: () => stopChild(child, STOP_GRACE_MS, exited),
  };
}
