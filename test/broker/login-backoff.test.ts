/**
 * The login backoff's rules (broker/login-backoff.ts) and its memory (broker/login-throttle.ts)
 * with a hand-driven clock: no broker, no waiting.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { manualClock } from '../../platform/clock.ts';
import {
  FRESH,
  backoffMs,
  checkStarted,
  decideLogin,
  failed,
  gate,
  passed,
  type BackoffPolicy,
  type KeyRecord,
} from '../../broker/login-backoff.ts';
import { LoginThrottle } from '../../broker/login-throttle.ts';
import { BoundedMap } from '../../broker/bounded-map.ts';
import { addressKey } from '../../broker/source-address.ts';

const POLICY: BackoffPolicy = { freeFailures: 2, baseMs: 100, maxMs: 1_000, holdMaxMs: 300, forgetAfterMs: 60_000 };
const never = () => false;

/** `n` failed checks at time `at`, one after the other. */
function failures(n: number, at = 0, from: KeyRecord = FRESH): KeyRecord {
  let r = from;
  for (let i = 0; i < n; i++) r = failed(checkStarted(r, at, POLICY), at, POLICY, true);
  return r;
}

test('the wait: none for the free failures, then doubling from baseMs up to maxMs', () => {
  assert.equal([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(POLICY, n)), [0, 0, 0, 100, 200, 400, 800, 1000, 1000]);
  assert.is(backoffMs(POLICY, 100_000), 1000, 'thousands of failures stay at the cap, not Infinity');
});

test('a key closes after its free failures, for the wait, and opens again', () => {
  assert.equal(gate(failures(2), 0, POLICY), { open: true }, 'free failures leave it open');
  const r = failures(3);
  assert.equal(gate(r, 0, POLICY), { open: false, retryInMs: 100 });
  assert.equal(gate(r, 99, POLICY), { open: false, retryInMs: 1 });
  assert.equal(gate(r, 100, POLICY), { open: true });
  const more = failures(1, 100, r);
  assert.equal(gate(more, 100, POLICY), { open: false, retryInMs: 200 }, 'the next failure doubles the wait');
});

test('past its free failures a key takes one check at a time', () => {
  const r = failures(3);
  const checking = checkStarted(r, 100, POLICY);
  assert.equal(gate(checking, 100, POLICY), { open: false, retryInMs: 200 }, 'a second guesser waits for the first check');
  assert.equal(gate(checkStarted(FRESH, 0, POLICY), 0, POLICY), { open: true }, 'a fresh key checks any number at once (a desk booting)');
  assert.equal(gate(checkStarted(failures(1), 0, POLICY), 0, POLICY), { open: true }, 'so does one within its free failures');
});

test('a right password clears the user name, not the address', () => {
  const r = checkStarted(failures(5), 2_000, POLICY);
  assert.equal(passed(r, 2_000, POLICY, 'user'), FRESH);
  assert.is(passed(r, 2_000, POLICY, 'address').failures, 5);
  assert.is(passed(r, 2_000, POLICY, 'address').checking, 0);
});

test('a key with no failure for forgetAfterMs is forgotten', () => {
  const r = failures(6);
  assert.is(gate(r, 59_999, POLICY).open, true, 'the wait itself is long over');
  assert.is(failed(r, 59_999, POLICY, false).failures, 7, 'still remembered just before');
  assert.is(failed(r, 60_000, POLICY, false).failures, 1, 'then its next failure is the first');
});

test('decideLogin: a closed user name refuses even the right password, uncounted', () => {
  const d = decideLogin({ user: failures(4), address: FRESH, knownGood: () => true }, 0, POLICY);
  assert.equal(d, { action: 'refuse', by: 'user', holdMs: 200, countUserFailure: false });
});

test('decideLogin: a closed address lets known credentials in and counts every other try against its user name', () => {
  const address = failures(10);
  assert.equal(decideLogin({ user: FRESH, address, knownGood: () => true }, 0, POLICY), { action: 'check' });
  assert.equal(
    decideLogin({ user: FRESH, address, knownGood: never }, 0, POLICY),
    { action: 'refuse', by: 'address', holdMs: 300, countUserFailure: true },
    'held for holdMaxMs at most',
  );
  let asked = 0;
  decideLogin({ user: FRESH, address: FRESH, knownGood: () => ++asked > 0 }, 0, POLICY);
  assert.is(asked, 0, 'the lookup is made only for a closed address');
});

test('LoginThrottle: parallel guessers get one answer per wait, another user and address none of it', () => {
  const clock = manualClock();
  const throttle = new LoginThrottle({ clock, policy: POLICY });
  const answered: number[] = [];
  // Eight guessers at once from one address, then again every 50 ms for 2 s.
  for (let t = 0; t <= 2_000; t += 50) {
    const checks = [];
    for (let g = 0; g < 8; g++) {
      const a = throttle.admit(`guess${g}`, '10.0.0.9', never);
      if (a.kind === 'check') checks.push(a);
    }
    for (const c of checks) c.failed();
    answered.push(checks.length);
    const other = throttle.admit('monitor', '10.0.0.7', never);
    assert.is(other.kind, 'check', `another user from another address is checked at ${t} ms`);
    if (other.kind === 'check') other.passed();
    clock.advance(50);
  }
  assert.is(answered[0], 8, 'the first wave is answered: nothing had failed yet');
  const later = answered.slice(1).reduce((a, b) => a + b, 0);
  // Address failures 8, 9, 10, 11 close it for 800 ms, then 1 s: at most two more answers in 2 s.
  assert.ok(later <= 2, `${later} answered after the first wave`);
});

test('LoginThrottle: a refusal of a failed check is held for the wait it brought', () => {
  const clock = manualClock();
  const throttle = new LoginThrottle({ clock, policy: POLICY });
  const holds = [];
  for (let i = 0; i < 5; i++) {
    const a = throttle.admit('host', '10.0.0.9', never);
    assert.is(a.kind, 'check');
    if (a.kind === 'check') holds.push(a.failed().holdMs);
    clock.advance(1_000);
  }
  assert.equal(holds, [0, 0, 100, 200, 300], 'free failures answered at once; later ones held, at most holdMaxMs');
});

test('LoginThrottle: a known board reconnects through a closed address', () => {
  const clock = manualClock();
  const throttle = new LoginThrottle({ clock, policy: POLICY });
  for (let i = 0; i < 10; i++) {
    const a = throttle.admit(`guess${i}`, '127.0.0.1', never);
    if (a.kind === 'check') a.failed();
  }
  assert.is(throttle.admit('b07', '127.0.0.1', never).kind, 'refused', 'an unknown password is refused unchecked');
  assert.is(throttle.admit('b01', '127.0.0.1', () => true).kind, 'check', 'a verified one is checked (and costs no derivation)');
});

test('LoginThrottle: memory is bounded, idle keys are not kept', () => {
  const clock = manualClock();
  const throttle = new LoginThrottle({ clock, policy: POLICY, maxKeys: 50 });
  for (let i = 0; i < 1_000; i++) {
    const a = throttle.admit(`name${i}`, `10.0.${i >> 8}.${i & 255}`, never);
    if (a.kind === 'check') a.failed();
  }
  assert.equal(throttle.tracked, { users: 50, addresses: 50 });
  const ok = new LoginThrottle({ clock, policy: POLICY });
  for (let i = 0; i < 100; i++) {
    const a = ok.admit(`b${i}`, '127.0.0.1', never);
    if (a.kind === 'check') a.passed();
  }
  assert.equal(ok.tracked, { users: 0, addresses: 0 }, 'good logins leave nothing behind');
});

test('BoundedMap forgets the least recently written key', () => {
  const m = new BoundedMap<string, number>(2);
  m.set('a', 1);
  m.set('b', 2);
  m.set('a', 3);
  m.set('c', 4);
  assert.is(m.get('b'), undefined);
  assert.is(m.get('a'), 3);
  assert.is(m.get('c'), 4);
  assert.throws(() => new BoundedMap(0), /positive integer/);
});

test('addresses: IPv4 as is (also when mapped into IPv6), IPv6 by its /64', () => {
  assert.is(addressKey('192.0.2.7'), '192.0.2.7');
  assert.is(addressKey('::ffff:127.0.0.1'), '127.0.0.1');
  assert.is(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.is(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.is(addressKey('2001:0db8::1'), '2001:db8:0:0::/64');
  assert.is(addressKey('::1'), '0:0:0:0::/64');
  assert.is(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.is(addressKey('not-an-address'), 'not-an-address');
});

test.run();
