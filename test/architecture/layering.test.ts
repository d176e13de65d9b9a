/**
 * The layering docs/architecture.md draws, held against every import in the sources: each part
 * imports only the parts below it, and no two folders import each other, however indirectly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { folderCycles, importEdges, type Edge } from './import-graph.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const edges = importEdges(ROOT);

/** Where a file belongs for the layering: the broker's contract and public entry are layers of their own. */
function layer(file: string): string {
  if (file.startsWith('broker/contract/')) return 'contract';
  if (file === 'broker/index.ts') return 'broker-entry';
  return file.split('/')[0]!;
}

/** What each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  platform: [],
  contract: ['platform'],
  images: ['platform', 'contract'],
  broker: ['platform', 'contract'],
  'broker-entry': ['broker', 'platform', 'contract'],
  board: ['platform', 'contract', 'images'],
  host: ['platform', 'contract', 'broker-entry', 'images', 'board'],
};

test('the sources are where the layering test looks', () => {
  assert.ok(edges.length > 500, `only ${edges.length} imports found`);
  for (const l of Object.keys(ALLOWED)) assert.ok(edges.some((e) => layer(e.from) === l || layer(e.to) === l), `no imports in or out of ${l}`);
});

test('every import goes to its own layer or one the layering allows', () => {
  const wrong = edges.filter((e: Edge) => {
    const from = layer(e.from);
    const to = layer(e.to);
    return from !== to && !ALLOWED[from]!.includes(to);
  });
  assert.equal(wrong.map((e) => `${e.from} -> ${e.to}`), []);
});

test('no folder cycles', () => {
  assert.equal(folderCycles(edges), []);
});

test('the cycle finder finds a cycle', () => {
  assert.equal(folderCycles([
    { from: 'host/a/x.ts', to: 'host/b/y.ts' }, { from: 'host/b/y.ts', to: 'host/c/z.ts' }, { from: 'host/c/z.ts', to: 'host/a/w.ts' },
  ]), [['host/a', 'host/b', 'host/c']]);
});

test.run();
