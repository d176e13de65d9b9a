/**
 * Many guests on one board: net.apply makes their namespaces and veths in seconds (batched),
 * an unchanged re-apply reads everything back and changes nothing, net.down removes it all.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { memoryLogger } from '../../platform/log.ts';
import { createNetService } from '../../board/net/service.ts';
import { tempDir } from '../support/temp-dir.ts';
import { namespacesLike, sh } from './fixture.ts';

const N = 64; // 256 takes ~75 s on this build machine (see docs/networks.md)
const tag = `ns${Math.random().toString(36).slice(2, 6)}`;
const dir = await tempDir('deskbox-netscale-');
const boardNs = `${tag}board`;
sh(`ip netns add ${boardNs}`);
const guests = Array.from({ length: N }, (_, index) => ({ id: `b1-g${index}`, index }));
const net = createNetService({ config: { namespace: boardNs, prefix: tag, stateFile: join(dir.path, 'net.json') }, logger: memoryLogger(), guests: () => guests });
const part = { topology: { name: 't', sha256: 'x' }, routers: [], networks: [
  { name: 'lan1', vni: 9, subnet: '10.9.0.0/16', pool: { first: '10.9.1.0', size: N }, attachCount: N, attach: [], link: { rate: '100mbit' }, peers: [] }] };

test.after(async () => {
  await net.down().catch(() => undefined);
  sh(`ip netns del ${boardNs}`);
  await dir.remove();
  assert.equal(namespacesLike(tag), []);
});

test(`${N} guests: apply, unchanged re-apply, down`, async () => {
  const t0 = performance.now();
  const first = await net.apply(part);
  const applyMs = performance.now() - t0;
  assert.equal(first.changes, 1 + N * 4, 'the bridge; per guest a namespace, a veth and two qdiscs');
  const t1 = performance.now();
  assert.equal((await net.apply(part)).changes, 0);
  const reapplyMs = performance.now() - t1;
  const t2 = performance.now();
  assert.equal((await net.down()).removed, 1 + N * 4);
  console.log(`  ${N} guests: apply ${Math.round(applyMs)} ms, unchanged re-apply ${Math.round(reapplyMs)} ms, down ${Math.round(performance.now() - t2)} ms`);
  assert.ok(applyMs < 20_000, `${applyMs} ms`);
  assert.equal(namespacesLike(`${tag}-`), []);
});

test.run();
