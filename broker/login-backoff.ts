/**
 * How soon a login may be tried again after failed ones: pure functions over the record of one
 * key (a user name or a source address) and the time, so every rule is unit-tested with a
 * hand-driven clock. login-throttle.ts keeps the records; hooks.ts applies the decisions.
 *
 * A key's failures beyond `freeFailures` close it for an exponentially growing wait (capped at
 * `maxMs`); a closed key takes no password check. A key past its free failures also takes one
 * check at a time, so guessers that wait in parallel for it to open get one answer, not one each.
 */

export interface BackoffPolicy {
  /** Failures answered at full speed: typos, a misconfigured client's first tries. */
  readonly freeFailures: number;
  /** The wait after the first failure beyond the free ones; it doubles with each further failure. */
  readonly baseMs: number;
  /** The longest wait: once guessing stops, the longest a locked-out user waits. */
  readonly maxMs: number;
  /** The longest a refusal is held back before it is sent, so refused clients cannot spin. */
  readonly holdMaxMs: number;
  /** A key with no failure for this long is forgotten: its next failure counts as the first. */
  readonly forgetAfterMs: number;
}

export const DEFAULT_LOGIN_BACKOFF: BackoffPolicy = {
  freeFailures: 3,
  baseMs: 500,
  maxMs: 10_000,
  holdMaxMs: 1_000,
  forgetAfterMs: 10 * 60_000,
};

export interface KeyRecord {
  readonly failures: number;
  /** Monotonic ms before which the key takes no login. */
  readonly notBefore: number;
  readonly lastFailureAt: number;
  /** Password checks under way. */
  readonly checking: number;
}

export const FRESH: KeyRecord = { failures: 0, notBefore: -Infinity, lastFailureAt: -Infinity, checking: 0 };

/** The wait a key's `failures`-th failure imposes. */
export function backoffMs(policy: BackoffPolicy, failures: number): number {
  const beyond = failures - policy.freeFailures;
  if (beyond <= 0) return 0;
  // Capped before exponentiating, so a key with thousands of failures does not reach Infinity.
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(beyond - 1, 40));
}

/** The record as it stands at `now`: one with no failure for `forgetAfterMs` is fresh again. */
export function current(record: KeyRecord, now: number, policy: BackoffPolicy): KeyRecord {
  const stale = record.checking === 0 && now - record.lastFailureAt >= policy.forgetAfterMs;
  return stale ? FRESH : record;
}

export type Gate = { readonly open: true } | { readonly open: false; readonly retryInMs: number };

export function gate(record: KeyRecord, now: number, policy: BackoffPolicy): Gate {
  const r = current(record, now, policy);
  if (now < r.notBefore) return { open: false, retryInMs: r.notBefore - now };
  if (r.failures > policy.freeFailures && r.checking > 0) {
    // Another check is deciding; if it fails, this is the wait it brings.
    return { open: false, retryInMs: backoffMs(policy, r.failures + 1) };
  }
  return { open: true };
}

export type LoginDecision =
  | { readonly action: 'check' }
  | {
      readonly action: 'refuse';
      readonly by: 'user' | 'address';
      /** How long to hold the refusal before sending it. */
      readonly holdMs: number;
      /** Count a failure against the user name (see decideLogin). */
      readonly countUserFailure: boolean;
    };

export interface LoginAttempt {
  readonly user: KeyRecord;
  readonly address: KeyRecord;
  /**
   * The password was verified for this user before (a reconnect). Asked only when the address
   * alone is closed: a cheap lookup, no password derivation.
   */
  readonly knownGood: () => boolean;
}

/**
 * Whether to check an attempt's password, or refuse it unchecked.
 *
 * A closed user name refuses everyone, right password or not: answering a right one would tell
 * the guessers they found it. A closed address refuses everything but credentials the broker
 * verified before, so one guesser on a machine does not lock out every board that reconnects
 * from it (a simulated desk's boards all come from 127.0.0.1). Such a lookup costs no derivation,
 * so each miss counts as a failure of its user name: otherwise guessers behind a closed address
 * could test passwords against the lookup as fast as they liked.
 */
export function decideLogin(attempt: LoginAttempt, now: number, policy: BackoffPolicy): LoginDecision {
  const user = gate(attempt.user, now, policy);
  if (!user.open) return refuse('user', user.retryInMs, false, policy);
  const address = gate(attempt.address, now, policy);
  if (address.open || attempt.knownGood()) return { action: 'check' };
  return refuse('address', address.retryInMs, true, policy);
}

function refuse(by: 'user' | 'address', retryInMs: number, countUserFailure: boolean, policy: BackoffPolicy): LoginDecision {
  return { action: 'refuse', by, holdMs: Math.min(retryInMs, policy.holdMaxMs), countUserFailure };
}

export function checkStarted(record: KeyRecord, now: number, policy: BackoffPolicy): KeyRecord {
  const r = current(record, now, policy);
  return { ...r, checking: r.checking + 1 };
}

/** A failure: counted, and the key closed for the wait it brings. */
export function failed(record: KeyRecord, now: number, policy: BackoffPolicy, wasChecking: boolean): KeyRecord {
  const r = current(record, now, policy);
  const failures = r.failures + 1;
  return {
    failures,
    notBefore: Math.max(r.notBefore, now + backoffMs(policy, failures)),
    lastFailureAt: now,
    checking: wasChecking ? Math.max(0, r.checking - 1) : r.checking,
  };
}

/**
 * A right password. The user name starts over (its owner proved who they are); an address keeps
 * its failures: a guesser with one valid account must not wipe its address's record by logging in.
 */
export function passed(record: KeyRecord, now: number, policy: BackoffPolicy, kind: 'user' | 'address'): KeyRecord {
  const r = current(record, now, policy);
  const checking = Math.max(0, r.checking - 1);
  return kind === 'user' ? { ...FRESH, checking } : { ...r, checking };
}

/** A check that ended in an error of the broker's own: no verdict on the password. */
export function abandoned(record: KeyRecord, now: number, policy: BackoffPolicy): KeyRecord {
  const r = current(record, now, policy);
  return { ...r, checking: Math.max(0, r.checking - 1) };
}

/** How long to hold a failed check's refusal: the wait its failure brought, at most holdMaxMs. */
export function failureHoldMs(records: readonly KeyRecord[], now: number, policy: BackoffPolicy): number {
  const wait = Math.max(0, ...records.map((r) => r.notBefore - now));
  return Math.min(wait, policy.holdMaxMs);
}

/** Whether the record says nothing the fresh one does not (so it need not be kept). */
export function isIdle(record: KeyRecord, now: number, policy: BackoffPolicy): boolean {
  const r = current(record, now, policy);
  return r.failures === 0 && r.checking === 0;
}
