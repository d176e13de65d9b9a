import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveTargets } from '../../host/flash/targets.ts';
import { lockPort } from '../../host/flash/port-lock.ts';
import { FlashFailure } from '../../host/flash/flash-failure.ts';
import { flashLimiter } from '../../host/flash/hub-limits.ts';
import { tempDir } from '../support/temp-dir.ts';

test('targets: ports, a glob of ports, desk boards; the same port once; nothing named is an error', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-targets-');
  try {
    for (const n of ['ttyUSB0', 'ttyUSB1', 'ttyUSB10', 'ttyACM0']) await writeFile(join(dir, n), '');
    const state = join(dir, 'desk');
    const t = await resolveTargets({ port: [join(dir, 'ttyACM0'), join(dir, 'ttyUSB1')], ports: join(dir, 'ttyUSB*'), boards: 'b02,b01', state }, async () => ({ boards: ['b01', 'b02', 'b03'] }));
    assert.equal(t.map((x) => x.label), [join(dir, 'ttyACM0'), join(dir, 'ttyUSB1'), join(dir, 'ttyUSB0'), join(dir, 'ttyUSB10'), 'b01', 'b02']);
    assert.is(t.find((x) => x.label === 'b01')!.port, join(state, 'boards', 'b01', 'console', 'port'));
    assert.equal((await resolveTargets({ boards: 'all', state }, async () => ({ boards: ['b01', 'b02'] }))).map((x) => x.board), ['b01', 'b02']);
    const desk = async () => ({ boards: ['b01', 'b02', 'b03', 'b04'], tags: { b02: ['rack2'], b04: ['rack2'] } });
    assert.equal((await resolveTargets({ boards: 'b01,tag:rack2', state }, desk)).map((x) => x.board), ['b01', 'b02', 'b04']);
    const out = (b: string) => b === 'b02';
    assert.equal((await resolveTargets({ boards: 'b01,tag:rack2', state }, desk, out)).map((x) => x.board), ['b01', 'b04'], 'a board out of service is left out of a set');
    assert.equal((await resolveTargets({ boards: 'b02', state }, desk, out)).map((x) => x.board), ['b02'], 'but flashed when named');
    for (const [o, re] of [[{ state }, /say which boards/], [{ ports: join(dir, 'ttyS*'), state }, /no port matches/]] as const) {
      try {
        await resolveTargets(o, async () => ({ boards: [] }));
        assert.unreachable('accepted');
      } catch (e) {
        assert.match((e as Error).message, re);
      }
    }
  } finally {
    await removeDir();
  }
});

test('port lock: a second flash of one port is refused while the first holds it; released, it can be taken', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-lock-');
  const port = join(dir, 'ttyUSB3');
  await writeFile(port, '');
  try {
    const release = await lockPort(port);
    try {
      await lockPort(port);
      assert.unreachable('locked twice');
    } catch (e) {
      assert.instance(e, FlashFailure);
      assert.is((e as FlashFailure).code, 'busy');
      assert.match((e as Error).message, /being flashed by another deskbox \(pid \d+\)/);
    }
    await release();
    const again = await lockPort(port);
    await again();
  } finally {
    await removeDir();
  }
});

test('flash limits: at most `parallel` in all, and at most a hub\'s own behind it; boards on no hub only the first', async () => {
  const within = flashLimiter(3, { 'hub-a': { parallel: 1 }, 'hub-b': { parallel: 2 } });
  const running = new Map<string, number>();
  const peak = new Map<string, number>();
  const gates: Array<() => void> = [];
  const job = (hub: string | undefined) => within(hub, async () => {
    const key = hub ?? 'none';
    running.set(key, (running.get(key) ?? 0) + 1);
    running.set('all', (running.get('all') ?? 0) + 1);
    for (const k of [key, 'all']) peak.set(k, Math.max(peak.get(k) ?? 0, running.get(k)!));
    await new Promise<void>((r) => gates.push(r));
    for (const k of [key, 'all']) running.set(k, running.get(k)! - 1);
  });
  const jobs = [...['hub-a', 'hub-a', 'hub-a', 'hub-b', 'hub-b', 'hub-b'], undefined, undefined].map(job);
  // Let whatever may run start, then release one at a time until all are done.
  for (let done = 0; done < jobs.length; done++) {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    gates.shift()!();
  }
  await Promise.all(jobs);
  assert.equal([peak.get('hub-a'), peak.get('hub-b'), peak.get('all')], [1, 2, 3]);
});

test.run();
