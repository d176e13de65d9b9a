/**
 * The broker's credentials file: `{ "v": 1, "users": [UserEntry, ...] }`, mode 0600.
 * Passwords are stored hashed: scrypt for chosen ones, a salted SHA-256 for generated secrets
 * (passwords.ts says why).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isValidId } from './contract/topics.ts';
import { DEFAULT_SCRYPT, decoyCheck, hashGeneratedSecret, hashPassword, passwordProblem, verifyPassword, type PasswordHash, type ScryptParams } from './passwords.ts';
import { ROLES, type Principal } from './policy.ts';

export type UserEntry = Principal & { readonly password: PasswordHash };

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export class UsersFileError extends Error {
  override readonly name = 'UsersFileError';
  constructor(
    readonly path: string,
    readonly problem: string,
    /** Index of the offending entry in `users`, when one is to blame. */
    readonly entry?: number,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${entry === undefined ? '' : `users[${entry}]: `}${problem}`, options);
  }
}

export class InvalidUserError extends Error {
  override readonly name = 'InvalidUserError';
  constructor(readonly username: unknown, readonly problem: string) {
    super(`invalid user entry: ${problem}`);
  }
}

/** A ready-to-store entry for a principal and a password someone chose (scrypt). */
export async function newUser(principal: Principal, password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<UserEntry> {
  return { ...principal, password: await hashPassword(password, params) };
}

/** A ready-to-store entry for a principal and a secret generateSecret made (token-sha256). */
export function newGeneratedUser(principal: Principal, secret: string): UserEntry {
  return { ...principal, password: hashGeneratedSecret(secret) };
}

function principalOf(entry: UserEntry): Principal {
  return entry.role === 'board'
    ? { role: 'board', username: entry.username, desk: entry.desk, board: entry.board }
    : { role: entry.role, username: entry.username };
}

export type PasswordCheck = (stored: PasswordHash, password: string | Uint8Array) => Promise<boolean>;

export class UserStore {
  readonly #users = new Map<string, UserEntry>();
  readonly #verify: PasswordCheck;
  /**
   * Checks under way or passed, by user and keyed password digest. A whole desk booting
   * connects 490 boards at once; scrypt runs on libuv's 4 threads, so checks queue for seconds,
   * boards time out and reconnect, and every retry queued another derivation: the queue never
   * drained. A retry now joins its check, and a reconnect with a known password costs none.
   * Failed checks are forgotten, so a guesser still pays for every guess.
   */
  readonly #checks = new Map<string, Promise<boolean>>();
  /** Keys of #checks that passed: what isVerified answers from, without waiting. */
  readonly #verified = new Set<string>();
  readonly #digestKey = randomBytes(32);

  constructor(entries: Iterable<UserEntry> = [], opts: { verify?: PasswordCheck } = {}) {
    this.#verify = opts.verify ?? verifyPassword;
    for (const entry of entries) this.put(entry);
  }

  /** Adds the user, or replaces the entry with the same username (keeping its place). */
  put(entry: UserEntry): void {
    const problem = entryProblem(entry);
    if (problem) throw new InvalidUserError(entry.username, problem);
    this.#users.set(entry.username, entry);
    for (const key of this.#checks.keys()) if (key.startsWith(`${entry.username}\0`)) this.#checks.delete(key);
    for (const key of this.#verified) if (key.startsWith(`${entry.username}\0`)) this.#verified.delete(key);
  }

  get(username: string): UserEntry | undefined {
    return this.#users.get(username);
  }

  list(): UserEntry[] {
    return [...this.#users.values()];
  }

  /** The principal for valid credentials, else undefined. Unknown users cost a derivation too. */
  async authenticate(username: string | undefined, password: string | Uint8Array | undefined): Promise<Principal | undefined> {
    const entry = username === undefined ? undefined : this.#users.get(username);
    if (!entry || password === undefined) {
      await decoyCheck(password);
      return undefined;
    }
    const key = this.#checkKey(entry.username, password);
    let check = this.#checks.get(key);
    if (!check) {
      check = this.#verify(entry.password, password);
      this.#checks.set(key, check);
      const forget = () => { if (this.#checks.get(key) === check) this.#checks.delete(key); };
      check.then((ok) => {
        if (!ok) forget();
        else if (this.#checks.get(key) === check) this.#verified.add(key);
      }, forget);
    }
    return (await check) ? principalOf(entry) : undefined;
  }

  /**
   * Whether these exact credentials passed a check before (and the user was not replaced since).
   * One HMAC, no derivation: the login throttle asks it to let known boards back in.
   */
  isVerified(username: string | undefined, password: string | Uint8Array | undefined): boolean {
    if (username === undefined || password === undefined || !this.#users.has(username)) return false;
    return this.#verified.has(this.#checkKey(username, password));
  }

  #checkKey(username: string, password: string | Uint8Array): string {
    return `${username}\0${createHmac('sha256', this.#digestKey).update(password).digest('base64')}`;
  }
}

export async function loadUsers(path: string): Promise<UserStore> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsersFileError(path, `cannot read: ${(err as Error).message}`, undefined, { cause: err });
  }
  return new UserStore(parseUsersFile(path, text));
}

/** Write temp -> fsync -> rename -> fsync dir: a crash leaves the old file or the new one. */
export async function saveUsers(path: string, store: UserStore): Promise<void> {
  const text = JSON.stringify({ v: 1, users: store.list() }, null, 2) + '\n';
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(tmp, 'wx', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await file.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

function parseUsersFile(path: string, text: string): UserEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsersFileError(path, `not JSON: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (!isObject(doc)) throw new UsersFileError(path, 'expected an object {"v":1,"users":[...]}');
  if (doc.v !== 1) throw new UsersFileError(path, `unsupported version ${JSON.stringify(doc.v)} (expected 1)`);
  if (!Array.isArray(doc.users)) throw new UsersFileError(path, '"users" must be an array');
  const seen = new Set<string>();
  return doc.users.map((raw: unknown, i: number) => {
    const problem = entryProblem(raw);
    if (problem) throw new UsersFileError(path, problem, i);
    const entry = raw as UserEntry;
    if (seen.has(entry.username)) throw new UsersFileError(path, `duplicate username "${entry.username}"`, i);
    seen.add(entry.username);
    return entry;
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entryProblem(raw: unknown): string | undefined {
  if (!isObject(raw)) return 'expected an object';
  const { username, role } = raw;
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    return 'username must be 1-64 of A-Z a-z 0-9 _ . @ - (starting alphanumeric)';
  }
  if (!ROLES.includes(role as Principal['role'])) return `"${username}": role must be one of ${ROLES.join(', ')}`;
  const allowed = role === 'board' ? ['username', 'role', 'password', 'desk', 'board'] : ['username', 'role', 'password'];
  const extra = Object.keys(raw).filter((k) => !allowed.includes(k));
  if (extra.length) return `"${username}": unexpected field(s) ${extra.join(', ')} for role ${String(role)}`;
  if (role === 'board') {
    for (const key of ['desk', 'board'] as const) {
      const id = raw[key];
      if (typeof id !== 'string' || !isValidId(id)) return `"${username}": ${key} must be a desk/board id (1-63 of A-Z a-z 0-9 _ . -)`;
    }
  }
  const pw = passwordProblem(raw.password);
  return pw && `"${username}": password ${pw}`;
}
