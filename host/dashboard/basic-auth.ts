/**
 * Who is asking, for the dashboard's API: HTTP Basic credentials checked against the broker's
 * own users file, so the page's login means the same here as at the broker. The file is read
 * again whenever it changed: a user added, removed or given a new password counts at once,
 * while a page polling a job every second does not cost a file read and a scrypt check a poll.
 */
import type { IncomingMessage } from 'node:http';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadUsers, type LoginThrottle, type UserStore, type Principal, type Role } from '../../broker/index.ts';
import { ApiError } from './api-request.ts';

export interface BasicCredentials {
  username: string;
  password: string;
}

const CHALLENGE = { 'www-authenticate': 'Basic realm="deskbox dashboard", charset="UTF-8"' };

/** The credentials of an `Authorization: Basic <base64 user:password>` header, else undefined. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The broker's users as one dashboard's APIs check them (/api/me, the consoles, the flash API):
 * one watched users file and one memory of failed logins, shared by all of them.
 */
export interface DashboardUsers {
  current: () => Promise<UserStore>;
  throttle: LoginThrottle;
}

export function dashboardUsers(usersFile: string, throttle: LoginThrottle): DashboardUsers {
  return { current: watchedUsersFile(usersFile), throttle };
}

/** The users file as it is now: reloaded only when it was replaced or changed. */
export function watchedUsersFile(path: string): () => Promise<UserStore> {
  let loaded: { version: string; store: UserStore } | undefined;
  return async () => {
    const s = await stat(path);
    // saveUsers renames a new file in place: a new inode, whatever the clock says.
    const version = `${s.ino}:${s.size}:${s.mtimeMs}`;
    if (loaded?.version !== version) loaded = { version, store: await loadUsers(path) };
    return loaded.store;
  };
}

/**
 * The broker user behind the request; a 401 without valid credentials. Failed logins back off
 * as the broker's do (per user name and per address, broker/login-backoff.ts): a wrong password
 * is answered only after the throttle's hold, and a login while held back gets 429 unchecked,
 * so the dashboard is no faster a way to guess a broker password than the broker.
 */
export async function authenticate(req: IncomingMessage, { current: usersOf, throttle }: DashboardUsers): Promise<Principal> {
  const credentials = parseBasicAuth(req.headers.authorization);
  if (!credentials) throw new ApiError(401, 'log in: HTTP Basic credentials of a broker user are required', CHALLENGE);
  const users = await usersOf();
  const admission = throttle.admit(credentials.username, req.socket.remoteAddress ?? 'unknown', () => users.isVerified(credentials.username, credentials.password));
  if (admission.kind === 'refused') {
    await sleep(admission.holdMs);
    throw new ApiError(429, 'too many failed logins: try again later', { 'retry-after': String(Math.max(1, Math.ceil(admission.holdMs / 1000))) });
  }
  let principal: Principal | undefined;
  try {
    principal = await users.authenticate(credentials.username, credentials.password);
  } catch (err) {
    admission.abandoned();
    throw err;
  }
  if (principal) {
    admission.passed();
    return principal;
  }
  await sleep(admission.failed().holdMs);
  throw new ApiError(401, 'wrong username or password', CHALLENGE);
}

/** A 403 unless `principal` has `role`; `what` completes "user "x" may not ...". */
export function requireRole(principal: Principal, role: Role, what: string): void {
  if (principal.role !== role) throw new ApiError(403, `user "${principal.username}" may not ${what}: only the ${role} role may`);
}
