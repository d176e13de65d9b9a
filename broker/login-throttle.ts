/**
 * The broker's memory of failed logins, per user name and per source address (rules:
 * login-backoff.ts). In memory only: a restarted broker starts over, which costs a guesser a
 * restart it cannot cause. At most `maxKeys` names and as many addresses are remembered, the
 * least recently seen forgotten first, so guessers inventing names cannot grow it without bound.
 */
import type { Clock } from '../platform/clock.ts';
import { BoundedMap } from './bounded-map.ts';
import {
  DEFAULT_LOGIN_BACKOFF,
  FRESH,
  abandoned,
  checkStarted,
  decideLogin,
  failed,
  failureHoldMs,
  isIdle,
  passed,
  type BackoffPolicy,
  type KeyRecord,
} from './login-backoff.ts';

export interface LoginThrottleOptions {
  clock: Clock;
  policy?: BackoffPolicy;
  /** Names remembered, and as many addresses. */
  maxKeys?: number;
}

export interface FailedCheck {
  /** Hold the refusal this long before sending it. */
  readonly holdMs: number;
  readonly userFailures: number;
  readonly addressFailures: number;
}

/** What to do with one login attempt. A `check` must be ended by exactly one of its three calls. */
export type Admission =
  | {
      readonly kind: 'check';
      passed(): void;
      failed(): FailedCheck;
      /** The check itself failed (the broker's error): no verdict on the password. */
      abandoned(): void;
    }
  | { readonly kind: 'refused'; readonly by: 'user' | 'address'; readonly holdMs: number };

export const DEFAULT_MAX_KEYS = 10_000;

export class LoginThrottle {
  readonly #clock: Clock;
  readonly #policy: BackoffPolicy;
  readonly #users: BoundedMap<string, KeyRecord>;
  readonly #addresses: BoundedMap<string, KeyRecord>;

  constructor(opts: LoginThrottleOptions) {
    this.#clock = opts.clock;
    this.#policy = opts.policy ?? DEFAULT_LOGIN_BACKOFF;
    this.#users = new BoundedMap(opts.maxKeys ?? DEFAULT_MAX_KEYS);
    this.#addresses = new BoundedMap(opts.maxKeys ?? DEFAULT_MAX_KEYS);
  }

  /** Names and addresses remembered now. */
  get tracked(): { users: number; addresses: number } {
    return { users: this.#users.size, addresses: this.#addresses.size };
  }

  /** `knownGood` is asked only when the address alone would refuse (login-backoff.ts). */
  admit(username: string | undefined, address: string, knownGood: () => boolean): Admission {
    const policy = this.#policy;
    const userKey = username ?? '';
    const record = (map: BoundedMap<string, KeyRecord>, key: string) => map.get(key) ?? FRESH;
    const put = (map: BoundedMap<string, KeyRecord>, key: string, next: KeyRecord) => {
      if (isIdle(next, this.#clock.monotonic(), policy)) map.delete(key);
      else map.set(key, next);
    };
    const now = this.#clock.monotonic();
    const decision = decideLogin(
      { user: record(this.#users, userKey), address: record(this.#addresses, address), knownGood },
      now,
      policy,
    );
    if (decision.action === 'refuse') {
      if (decision.countUserFailure) put(this.#users, userKey, failed(record(this.#users, userKey), now, policy, false));
      return { kind: 'refused', by: decision.by, holdMs: decision.holdMs };
    }

    put(this.#users, userKey, checkStarted(record(this.#users, userKey), now, policy));
    put(this.#addresses, address, checkStarted(record(this.#addresses, address), now, policy));
    let ended = false;
    const end = (update: (r: KeyRecord, at: number, kind: 'user' | 'address') => KeyRecord): void => {
      if (ended) throw new Error('a login check was ended twice');
      ended = true;
      const at = this.#clock.monotonic();
      put(this.#users, userKey, update(record(this.#users, userKey), at, 'user'));
      put(this.#addresses, address, update(record(this.#addresses, address), at, 'address'));
    };
    return {
      kind: 'check',
      passed: () => end((r, at, kind) => passed(r, at, policy, kind)),
      abandoned: () => end((r, at) => abandoned(r, at, policy)),
      failed: () => {
        end((r, at) => failed(r, at, policy, true));
        const at = this.#clock.monotonic();
        const user = record(this.#users, userKey);
        const addr = record(this.#addresses, address);
        return { holdMs: failureHoldMs([user, addr], at, policy), userFailures: user.failures, addressFailures: addr.failures };
      },
    };
  }
}
