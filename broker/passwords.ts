/**
 * How a users file stores a password, two schemes:
 *
 *  - `scrypt`: for passwords people choose. Salted, with its own cost parameters (so the cost can
 *    be raised for new entries without invalidating old ones); ~50 ms a check on the build machine.
 *  - `token-sha256`: for secrets deskbox generates itself (at least 128 random bits, base64url):
 *    SHA-256 over a 16-byte salt and the secret. A slow hash protects guessable passwords; against
 *    2^128 equally likely values it adds nothing, and it was the largest single cost of a desk
 *    coming up: 490 boards' hashes when the state folder is made, and 490 checks on libuv's 4
 *    threads as they log in (BENCHMARKS.md, "Desk up at 490 boards").
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly keylen: number;
}

export interface ScryptHash extends ScryptParams {
  readonly scheme: 'scrypt';
  /** base64 */
  readonly salt: string;
  /** base64 */
  readonly hash: string;
}

export interface TokenHash {
  readonly scheme: 'token-sha256';
  /** base64 */
  readonly salt: string;
  /** base64, 32 bytes */
  readonly hash: string;
}

export type PasswordHash = ScryptHash | TokenHash;

/** ~50 ms per check on the build machine: cheap for a connect, costly for a guesser. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1, keylen: 32 };

/** Bounds on stored parameters, so a hand-edited file cannot ask for gigabytes per check. */
const LIMITS = { N: [1024, 1 << 17], r: [1, 16], p: [1, 4], keylen: [16, 64] } as const;
export const SALT_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** 22 base64url characters carry 132 bits; generateSecret makes 24 (144 bits). */
const GENERATED = /^[A-Za-z0-9_-]{22,}$/;

export class WeakSecretError extends Error {
  override readonly name = 'WeakSecretError';
  constructor() {
    super('a token hash is only for generated secrets (at least 22 base64url characters); hash a chosen password with scrypt');
  }
}

/** A new secret for a user nobody chooses a password for: 144 random bits. */
export function generateSecret(): string {
  return randomBytes(18).toString('base64url');
}

/** Whether `secret` has the form of one generateSecret makes, so a token hash is safe for it. */
export function isGeneratedSecret(secret: string): boolean {
  return GENERATED.test(secret);
}

function derive(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  // Node refuses a derivation needing more than maxmem; 128*N*r is what scrypt needs.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, params.keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const tokenDigest = (salt: Uint8Array, secret: Uint8Array): Buffer => createHash('sha256').update(salt).update(secret).digest();

const bytes = (password: string | Uint8Array): Uint8Array =>
  typeof password === 'string' ? Buffer.from(password, 'utf8') : password;

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<ScryptHash> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(bytes(password), salt, params);
  return { scheme: 'scrypt', ...params, salt: salt.toString('base64'), hash: key.toString('base64') };
}

/** Throws WeakSecretError for anything that does not look generated. */
export function hashGeneratedSecret(secret: string): TokenHash {
  if (!isGeneratedSecret(secret)) throw new WeakSecretError();
  const salt = randomBytes(SALT_BYTES);
  return { scheme: 'token-sha256', salt: salt.toString('base64'), hash: tokenDigest(salt, bytes(secret)).toString('base64') };
}

export async function verifyPassword(stored: PasswordHash, password: string | Uint8Array): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const salt = Buffer.from(stored.salt, 'base64');
  const key = stored.scheme === 'scrypt' ? await derive(bytes(password), salt, stored) : tokenDigest(salt, bytes(password));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** What an unknown user's login costs, so it takes as long as a chosen password's failure. */
export async function decoyCheck(password: string | Uint8Array | undefined): Promise<void> {
  await derive(bytes(password ?? ''), randomBytes(SALT_BYTES), DEFAULT_SCRYPT);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a stored password entry is unusable, or undefined. */
export function passwordProblem(raw: unknown): string | undefined {
  if (!isObject(raw)) return 'must be an object {scheme, salt, hash, ...}';
  if (raw.scheme !== 'scrypt' && raw.scheme !== 'token-sha256') return `scheme must be "scrypt" or "token-sha256", not ${JSON.stringify(raw.scheme)}`;
  for (const key of ['salt', 'hash'] as const) {
    if (typeof raw[key] !== 'string' || !BASE64.test(raw[key] as string)) return `${key} must be base64`;
  }
  if (Buffer.from(raw.salt as string, 'base64').length < SALT_BYTES) return `salt must be at least ${SALT_BYTES} bytes`;
  const hashBytes = Buffer.from(raw.hash as string, 'base64').length;
  if (raw.scheme === 'token-sha256') return hashBytes === 32 ? undefined : 'a token-sha256 hash must be 32 bytes';
  for (const key of ['N', 'r', 'p', 'keylen'] as const) {
    const [min, max] = LIMITS[key];
    const v = raw[key];
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) return `${key} must be an integer in ${min}..${max}`;
  }
  const n = raw.N as number;
  if ((n & (n - 1)) !== 0) return 'N must be a power of two';
  if (hashBytes !== raw.keylen) return 'hash length does not match keylen';
  return undefined;
}
