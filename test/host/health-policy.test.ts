import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_THRESHOLDS, type Evidence } from '../../host/health/evidence.ts';
import { decide, initialHealth, type BoardHealth, type Transition } from '../../host/health/policy.ts';

const MIN = 60_000;
const t = DEFAULT_THRESHOLDS;

/** Feeds evidence in order; returns the final health, the transitions and the recoveries asked for. */
function feed(evidence: Evidence[], start: BoardHealth = initialHealth(0)) {
  let health = start;
  const transitions: Transition[] = [];
  let recoveries = 0;
  for (const e of evidence) {
    const v = decide('b07', health, e, t);
    health = v.health;
    if (v.transition) transitions.push(v.transition);
    if (v.recover) recoveries++;
  }
  return { health, path: transitions.map((x) => x.to), transitions, recoveries };
}

const check = (at: number, ok: boolean): Evidence => (ok ? { kind: 'check', at, ok, failed: [] } : { kind: 'check', at, ok, failed: ['slot'] });

test('a corrupted slot: suspect, quarantined, recovered, re-admitted after 3 passing checks', () => {
  const r = feed([
    check(1 * MIN, true), check(2 * MIN, false), check(3 * MIN, false),
    { kind: 'recovery-started', at: 3 * MIN + 1, steps: ['power-cycle', 'reflash'] },
    { kind: 'silent', at: 4 * MIN, forMs: 70_000 }, { kind: 'agent-restart', at: 4 * MIN + 5 },
    { kind: 'recovery', at: 5 * MIN, ok: true, steps: ['power-cycle', 'reflash'], reason: 'slot a reflashed' },
    check(6 * MIN, true), check(7 * MIN, true), check(8 * MIN, true),
  ]);
  assert.equal(r.path, ['suspect', 'quarantined', 'recovering', 'healthy']);
  assert.is(r.recoveries, 1);
  assert.is(r.transitions[1]!.reason, '2 failed self-checks in a row');
  assert.equal(r.transitions[1]!.evidence.map((e) => e.kind), ['check', 'check', 'check'], 'the transition carries its evidence');
  assert.is(r.transitions[3]!.reason, 're-admitted after 3 passing checks');
  assert.equal(r.health.evidence, [], 'a healthy board starts with a clean sheet');
});

test('an agent that crash-loops, and a board whose guests all fail, are quarantined at once', () => {
  const loop = feed([1, 2, 3].map((i) => ({ kind: 'agent-restart', at: i * MIN }) as Evidence));
  assert.equal(loop.path, ['suspect', 'quarantined']);
  assert.match(loop.health.reason, /crashed or restarted 3 times within 10 min/);
  const vanishing = feed([1, 2, 3].map((i) => ({ kind: i === 2 ? 'agent-restart' : 'vanished', at: i * MIN }) as Evidence));
  assert.equal(vanishing.path, ['suspect', 'quarantined'], 'last wills count with restarts');
  const guests = feed([{ kind: 'guests', at: MIN, launched: 8, failed: 8 }]);
  assert.equal(guests.path, ['quarantined']);
  assert.is(guests.health.reason, '8 of 8 guest launches failed');
  assert.equal(feed([{ kind: 'guests', at: MIN, launched: 2, failed: 2 }]).path, ['suspect'], 'too few launches to judge');
});

test('evidence older than the window does not add up; a passing check clears a suspicion', () => {
  assert.equal(feed([0, 11, 22].map((m) => ({ kind: 'agent-restart', at: m * MIN + 1 }) as Evidence)).path, ['suspect']);
  const crashesBetweenPasses = feed([1, 2, 3].flatMap((m): Evidence[] => [{ kind: 'vanished', at: m * MIN }, check(m * MIN + 1000, true)]));
  assert.equal(crashesBetweenPasses.path, ['suspect', 'healthy', 'suspect', 'healthy', 'quarantined'], 'passing checks between crashes do not wipe them out');
  const r = feed([check(MIN, false), check(2 * MIN, true), check(3 * MIN, false)]);
  assert.equal(r.path, ['suspect', 'healthy', 'suspect'], 'two failures with a pass between are not "in a row"');
});

test('recoveries that keep failing retire the board with the reason; a person may admit it again', () => {
  const r = feed([
    check(MIN, false), check(2 * MIN, false),
    ...[1, 2, 3].flatMap((i): Evidence[] => [
      { kind: 'recovery-started', at: (10 * i) * MIN, steps: ['power-cycle', 'reflash'] },
      { kind: 'recovery', at: (10 * i + 5) * MIN, ok: false, steps: ['power-cycle', 'reflash'], reason: 'no U-Boot prompt' },
    ]),
    check(50 * MIN, true),
  ]);
  assert.equal(r.path, ['suspect', 'quarantined', 'recovering', 'quarantined', 'recovering', 'quarantined', 'recovering', 'retired']);
  assert.is(r.recoveries, 3, 'each failed recovery but the last asks for another');
  assert.is(r.health.reason, '3 recoveries failed; last: no U-Boot prompt');
  assert.is(r.health.state, 'retired', 'a retired board ignores passing checks');
  const back = feed([{ kind: 'operator', at: 60 * MIN, action: 'admit', by: 'alice' }], r.health);
  assert.equal(back.path, ['healthy']);
  assert.is(back.health.failedRecoveries, 0);
});

test('a failed check after a successful recovery counts as a failed recovery; recover by hand', () => {
  const r = feed([
    { kind: 'operator', at: MIN, action: 'recover', by: 'bob' },
    { kind: 'recovery-started', at: MIN + 1, steps: ['power-cycle'] },
    { kind: 'recovery', at: 2 * MIN, ok: true, steps: ['power-cycle'], reason: 'back' },
    check(3 * MIN, true), check(4 * MIN, false),
  ]);
  assert.equal(r.path, ['quarantined', 'recovering', 'quarantined']);
  assert.is(r.recoveries, 2);
  assert.match(r.health.reason, /^recovery 1 of 3 failed: self-check failed: slot$/);
});

test('a failed report from before the recovery\'s outcome (the board checked on its way down) does not count', () => {
  const r = feed([
    check(MIN, false), check(2 * MIN, false),
    { kind: 'recovery-started', at: 2 * MIN + 1, steps: ['power-cycle', 'reflash'] },
    check(2 * MIN + 2, false),
    { kind: 'recovery', at: 4 * MIN, ok: true, steps: ['power-cycle'], reason: 'back after power-cycle, self-check passed' },
    check(5 * MIN, true), check(6 * MIN, true), check(7 * MIN, true),
  ]);
  assert.equal(r.path, ['suspect', 'quarantined', 'recovering', 'healthy']);
  assert.is(r.recoveries, 1);
});

test('failed checks in a row count however far apart (checks run every 10 minutes by default)', () => {
  const r = feed([check(0, false), check(10 * MIN, false)]);
  assert.equal(r.path, ['suspect', 'quarantined']);
  assert.equal(feed([check(0, false), check(10 * MIN, true), check(20 * MIN, false)]).path, ['suspect', 'healthy', 'suspect']);
});

test.run();
