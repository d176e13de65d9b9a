import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_COMMAND, DEFAULT_LIMITS, guestId, GuestSpecError, guestSpecs, type GuestSpecRequest } from '../../board/guests/spec.ts';
import type { GuestProfile } from '../../board/guests/types.ts';

const light: GuestProfile = { name: 'light', namespaces: ['mount', 'uts'], cgroups: 'board' };
const base: GuestSpecRequest = { board: 'b03', desk: 'd1', from: 0, count: 2, image: 'busybox', profile: light };

test('ids, hostnames and env derive from board and index', () => {
  const specs = guestSpecs({ ...base, from: 41, count: 2, env: { MODE: 'x' } });
  assert.equal(specs.map((s) => [s.id, s.index, s.hostname]), [['b03-g0041', 41, 'b03-g0041'], ['b03-g0042', 42, 'b03-g0042']]);
  assert.equal(specs[1]?.env, { MODE: 'x', DESKBOX_BOARD: 'b03', DESKBOX_DESK: 'd1', DESKBOX_GUEST: 'b03-g0042', DESKBOX_GUEST_INDEX: '42' });
  assert.is(specs[0]?.image, 'busybox');
  assert.is(guestId('b03', 9999), 'b03-g9999');
});

test('the same request gives the same specs (computed, not stored)', () => {
  assert.equal(guestSpecs(base), guestSpecs(base));
});

test('defaults: an idle workload, 16 MiB and 64 pids; partial limits merge', () => {
  const [spec] = guestSpecs({ ...base, count: 1 });
  assert.equal(spec?.limits, { memoryBytes: 16 * 1024 * 1024, pids: 64 });
  assert.equal(spec?.command.slice(4), [...DEFAULT_COMMAND]);
  const [small] = guestSpecs({ ...base, count: 1, limits: { pids: 8 } });
  assert.equal(small?.limits, { memoryBytes: DEFAULT_LIMITS.memoryBytes, pids: 8 });
});

test('argv signals readiness through $DESKBOX_READY, then execs the workload', () => {
  const [spec] = guestSpecs({ ...base, count: 1, command: ['httpd', '-f', '-p', '80'] });
  assert.equal(spec?.command, ['/bin/sh', '-c', 'echo "$DESKBOX_GUEST" > "$DESKBOX_READY" && exec "$@"', 'guest', 'httpd', '-f', '-p', '80']);
});

test('specs share nothing: changing one leaves the others and the request alone', () => {
  const env = { A: '1' };
  const specs = guestSpecs({ ...base, env });
  specs[0]!.env.A = '2';
  specs[0]!.limits.pids = 1;
  specs[0]!.profile.namespaces.push('pid');
  assert.is(specs[1]?.env.A, '1');
  assert.is(env.A, '1');
  assert.is(specs[1]?.limits.pids, 64);
  assert.equal(light.namespaces, ['mount', 'uts']);
});

test('count 0 is an empty board; the last index is 9999', () => {
  assert.equal(guestSpecs({ ...base, count: 0 }), []);
  assert.is(guestSpecs({ ...base, from: 9999, count: 1 })[0]?.id, 'b03-g9999');
});

test('invalid requests fail with the field and the reason', () => {
  const cases: Array<[Partial<GuestSpecRequest>, string, RegExp]> = [
    [{ count: -1 }, 'count', />= 0/],
    [{ count: 1.5 }, 'count', /integer/],
    [{ from: -3 }, 'from', />= 0/],
    [{ from: 9999, count: 2 }, 'count', /9999\.\.10000 exceed index 9999/],
    [{ board: '' }, 'board', /not a valid board id/],
    [{ board: 'b/1' }, 'board', /not a valid board id/],
    [{ board: 'b'.repeat(59) }, 'board', /too long for a guest hostname/],
    [{ desk: 'd 1' }, 'desk', /not a valid desk id/],
    [{ image: '' }, 'image', /empty/],
    [{ command: [] }, 'command', /program/],
    [{ command: ['sh', 'a\0b'] }, 'command', /NUL/],
    [{ env: { 'A-B': '1' } }, 'env', /not a variable name/],
    [{ env: { DESKBOX_READY: '/tmp/x' } }, 'env', /reserved/],
    [{ limits: { memoryBytes: 0 } }, 'limits.memoryBytes', /positive integer/],
    [{ limits: { pids: 2.5 } }, 'limits.pids', /positive integer/],
  ];
  for (const [patch, field, msg] of cases) {
    const e = thrown(() => guestSpecs({ ...base, ...patch }));
    assert.instance(e, GuestSpecError, JSON.stringify(patch));
    assert.is((e as GuestSpecError).field, field, JSON.stringify(patch));
    assert.match((e as Error).message, msg);
  }
  assert.ok(guestSpecs({ ...base, board: 'b'.repeat(58), count: 1 })[0]?.id.length === 64);
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

test.run();
