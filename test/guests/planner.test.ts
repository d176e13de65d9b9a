import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backoffMs, plan, type GuestRecord, type RestartPolicy } from '../../board/guests/planner.ts';
import type { GuestSpec } from '../../board/guests/types.ts';

const policy: RestartPolicy = { mode: 'on-failure', maxRestarts: 3, backoffBaseMs: 1000, backoffMaxMs: 30_000 };
const spec = (i: number, over: Partial<GuestSpec> = {}): GuestSpec => ({
  id: `b01-g${String(i).padStart(4, '0')}`, index: i, image: 'busybox', hostname: `b01-g${i}`, env: {}, command: ['sleep', '1'],
  limits: { memoryBytes: 1 << 24, pids: 64 }, profile: { name: 'light', namespaces: ['mount', 'pid'], cgroups: 'board' }, ...over,
});
const rec = (s: GuestSpec | string, phase: GuestRecord['phase'], extra: Partial<GuestRecord> = {}): [string, GuestRecord] => {
  const id = typeof s === 'string' ? s : s.id;
  return [id, { id, phase, restarts: 0, ...(typeof s === 'string' ? {} : { spec: s }), ...extra }];
};
const ops = (steps: ReturnType<typeof plan>) => steps.map((s) => (s.op === 'start' ? `start ${s.spec.id}${s.restart ? ' (restart)' : ''}` : `stop ${s.id} (${s.reason})`));

test('empty to target: start every guest', () => {
  assert.equal(ops(plan(new Map(), [spec(0), spec(1)], policy, 0)), ['start b01-g0000', 'start b01-g0001']);
});

test('at target: nothing to do, whatever phase the guests are booting through', () => {
  const current = new Map([rec(spec(0), 'ready'), rec(spec(1), 'starting'), rec(spec(2), 'running')]);
  assert.equal(plan(current, [spec(0), spec(1), spec(2)], policy, 0), []);
});

test('guests no longer wanted are stopped, exited and failed ones included; stopping ones left alone', () => {
  const current = new Map([rec(spec(0), 'ready'), rec(spec(1), 'exited'), rec(spec(2), 'failed'), rec(spec(3), 'stopping')]);
  assert.equal(ops(plan(current, [], policy, 0)), ['stop b01-g0000 (not-desired)', 'stop b01-g0001 (not-desired)', 'stop b01-g0002 (not-desired)']);
});

test('strays adopted from a crashed agent: kept if wanted, stopped if not', () => {
  const current = new Map([rec('b01-g0000', 'ready'), rec('b01-g0007', 'ready')]);
  assert.equal(ops(plan(current, [spec(0)], policy, 0)), ['stop b01-g0007 (stray)']);
});

test('a changed spec means stop now, start on the next round', () => {
  const current = new Map([rec(spec(0), 'ready')]);
  assert.equal(ops(plan(current, [spec(0, { command: ['sleep', '2'] })], policy, 0)), ['stop b01-g0000 (changed)']);
});

test('restart policy: after the backoff, up to maxRestarts, never with mode never, failed starts not retried', () => {
  const exited = (restarts: number, notBefore: number) => new Map([rec(spec(0), 'exited', { restarts, notBefore })]);
  assert.equal(ops(plan(exited(0, 1000), [spec(0)], policy, 999)), []);
  assert.equal(ops(plan(exited(0, 1000), [spec(0)], policy, 1000)), ['start b01-g0000 (restart)']);
  assert.equal(ops(plan(exited(3, 0), [spec(0)], policy, 1e9)), []);
  assert.equal(ops(plan(exited(0, 0), [spec(0)], { ...policy, mode: 'never' }, 1e9)), []);
  assert.equal(ops(plan(new Map([rec(spec(0), 'failed')]), [spec(0)], policy, 1e9)), []);
});

test('backoff doubles and is capped', () => {
  assert.equal([0, 1, 2, 5, 10].map((n) => backoffMs(policy, n)), [1000, 2000, 4000, 30_000, 30_000]);
});

test.run();
