/** The push tree: every board once, no source feeds more than the fan-out, depth ~log_k(n). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { childrenOf, planTree, PlanError } from '../../host/push/plan.ts';
import { executePlan, type Requester } from '../../host/push/execute.ts';
import type { PushManifest } from '../../broker/contract/commands/push.ts';
import { boardIds } from '../../host/locations/layout.ts';

/** The fewest levels a tree of fan-out k needs for n boards: k + k^2 + ... >= n. */
function minDepth(n: number, k: number): number {
  let depth = 0;
  for (let reach = 0, level = 1; reach < n; depth++) {
    level *= k;
    reach += level;
  }
  return depth;
}

test('every board exactly once, parents before children, fan-out respected, depth minimal', () => {
  for (const [n, k] of [[1, 4], [6, 2], [7, 2], [8, 4], [100, 4], [490, 4], [490, 8], [10, 1], [5, 10]] as const) {
    const boards = boardIds(n);
    const plan = planTree(boards, k);
    assert.equal(plan.map((p) => p.board).sort(), [...boards].sort(), `n=${n} k=${k}: each board once`);
    const seen = new Set<string>();
    for (const p of plan) {
      assert.ok(p.parent === null || seen.has(p.parent), `n=${n} k=${k}: ${p.board}'s parent comes first`);
      seen.add(p.board);
    }
    for (const [parent, kids] of childrenOf(plan)) assert.ok(kids.length <= k, `n=${n} k=${k}: ${parent ?? 'host'} feeds ${kids.length}`);
    const depthOf = new Map(plan.map((p) => [p.board, p.depth]));
    for (const p of plan) assert.is(p.depth, p.parent === null ? 1 : depthOf.get(p.parent)! + 1, `n=${n} k=${k}: ${p.board}'s depth`);
    assert.is(Math.max(...plan.map((p) => p.depth)), minDepth(n, k), `n=${n} k=${k}: depth`);
  }
});

test('the host feeds exactly the first k boards; 6 boards with fan-out 2 form two subtrees', () => {
  const plan = planTree(boardIds(6), 2);
  assert.equal(plan.map((p) => [p.board, p.parent, p.depth]), [
    ['b01', null, 1], ['b02', null, 1], ['b03', 'b01', 2], ['b04', 'b01', 2], ['b05', 'b02', 2], ['b06', 'b02', 2],
  ]);
  assert.equal(childrenOf(planTree(boardIds(490), 4)).get(null)?.length, 4);
});

test('an empty set plans nothing; a bad fan-out or a repeated board is refused', () => {
  assert.equal(planTree([], 4), []);
  assert.throws(() => planTree(['b01'], 0), (e: Error) => e instanceof PlanError && /at least 1/.test(e.message));
  assert.throws(() => planTree(['b01'], 1.5), (e: Error) => e instanceof PlanError);
  assert.throws(() => planTree(['b01', 'b01'], 2), /named twice/);
});

test('the executor sends each board its ancestors that hold the file, nearest first, then the host', async () => {
  const manifest: PushManifest = { v: 1, id: '0123456789abcdef', size: 0, sha256: '0'.repeat(64), chunkSize: 1 << 20, chunks: [] };
  const asked: { board: string; sources: string[] }[] = [];
  // b01 fails: its children go to the host, its grandchildren to their parents.
  const request = (async (board: string, _op: string, args: unknown) => {
    asked.push({ board, sources: (args as { sources: string[] }).sources });
    if (board === 'b01') return { ok: false, error: { code: 'failed', message: 'disk full' } };
    const result = { id: manifest.id, bytes: 0, fetched: 0, resumedBytes: 0, sha256: manifest.sha256, elapsedMs: 1, servingAt: `http://peer/${board}`, failedSources: [] };
    return { ok: true, result };
  }) as Requester;
  const outcomes = await executePlan({ plan: planTree(boardIds(14), 2), manifest, destFor: (b) => `/f/${b}`, hostUrl: 'http://host', request, timeoutMs: 1000 });
  const sources = new Map(asked.map((a) => [a.board, a.sources]));
  assert.equal(sources.get('b01'), ['http://host']);
  assert.equal(sources.get('b03'), ['http://host'], 'parent b01 failed');
  assert.equal(sources.get('b05'), ['http://peer/b02', 'http://host']);
  assert.equal(sources.get('b07'), ['http://peer/b03', 'http://host'], 'grandparent b01 failed');
  assert.equal(sources.get('b11'), ['http://peer/b05', 'http://peer/b02', 'http://host']);
  assert.equal(outcomes.map((o) => o.board), boardIds(14), 'outcomes in plan order');
  assert.equal(outcomes.filter((o) => !o.ok).map((o) => [o.board, o.ok ? '' : o.error]), [['b01', 'failed: disk full']]);
});

test.run();
