import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HealthReport } from '../../broker/contract/health.ts';
import { recoverBoard, type BootedImage, type RecoveryDeps } from '../../host/health/recovery.ts';

const GOOD: BootedImage = { sha256: 'a'.repeat(64), version: '2' };
const OLD: BootedImage = { sha256: 'b'.repeat(64), version: '1' };
const report = (ok: boolean): HealthReport => ({ v: 1, board: 'b07', at: 1, trigger: 'command', ok, checks: [{ name: 'slot', ok, detail: ok ? 'verifies' : 'sha256 mismatch', ms: 1 }] });

/** A board that, after each step, comes back as `after[step]` says (undefined: never online). */
function board(after: Record<string, { image?: BootedImage; ok?: boolean } | 'throw' | undefined>) {
  const done: string[] = [];
  let state: { image?: BootedImage; ok?: boolean } | undefined;
  const step = (name: string) => async () => {
    done.push(name);
    const a = after[name];
    if (a === 'throw') throw new Error(`${name} failed: no U-Boot prompt`);
    state = a;
  };
  const deps: RecoveryDeps = {
    powerCycle: (b) => step('power-cycle')().then(() => void b),
    reflash: (b) => step('reflash')().then(() => void b),
    online: async () => { if (!state) throw new Error('not online within 120 s'); return state.image; },
    check: async () => report(state?.ok ?? false),
    knownGood: GOOD,
    now: () => 0,
  };
  return { deps, done };
}

test('a power cycle is enough: it stops there', async () => {
  const b = board({ 'power-cycle': { image: GOOD, ok: true } });
  assert.equal(await recoverBoard('b07', b.deps), { ok: true, steps: ['power-cycle'], reason: 'back after power-cycle, self-check passed' });
  assert.equal(b.done, ['power-cycle']);
});

test('a corrupted slot: the power cycle brings back a failing board (or the fallback slot\'s older image): reflashed', async () => {
  for (const after of [{ image: GOOD, ok: false }, { image: OLD, ok: true }]) {
    const b = board({ 'power-cycle': after, reflash: { image: GOOD, ok: true } });
    assert.equal(await recoverBoard('b07', b.deps), { ok: true, steps: ['power-cycle', 'reflash'], reason: 'back after reflash, self-check passed' });
  }
});

test('nothing helps: not ok, with the last step\'s reason; no outlet: straight to the reflash', async () => {
  const b = board({ 'power-cycle': undefined, reflash: 'throw' });
  assert.equal(await recoverBoard('b07', b.deps), { ok: false, steps: ['power-cycle', 'reflash'], reason: 'reflash: reflash failed: no U-Boot prompt' });
  const c = board({ reflash: { image: OLD, ok: true } });
  delete c.deps.powerCycle;
  const out = await recoverBoard('b07', c.deps);
  assert.equal([out.ok, out.steps], [false, ['reflash']]);
  assert.match(out.reason, /runs image 1 \(bbbbbbbbbbbb\), not the known-good 2/);
});

test.run();
