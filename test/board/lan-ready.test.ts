/**
 * A board's net service and the desk LAN built while it boots (board/net/lan-ready.ts): whole-board
 * operations wait for the desk's ready file and fail with the desk's reason; a board with nothing
 * kept does not wait at all.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LanNotReadyError, waitForLan } from '../../board/net/lan-ready.ts';
import { createNetService } from '../../board/net/service.ts';
import { memoryLogger } from '../../platform/log.ts';
import { withTempDir } from '../support/temp-dir.ts';

const fast = { timeoutMs: 5_000, pollMs: 10 };

test('waits until the desk says the LAN is up', async () => {
  await withTempDir('deskbox-lan-ready-', async (dir) => {
    const file = join(dir, 'lan-ready.json');
    let done = false;
    const waiting = waitForLan(file, fast).then(() => { done = true; });
    await new Promise((r) => setTimeout(r, 50));
    assert.not.ok(done, 'no file yet: still waiting');
    await writeFile(file, '{"up":true}\n');
    await waiting;
    assert.ok(done);
  });
});

test('a desk that says it could not, or never says, gives its reason', async () => {
  await withTempDir('deskbox-lan-ready-', async (dir) => {
    const file = join(dir, 'lan-ready.json');
    await writeFile(file, JSON.stringify({ up: false, reason: 'not running as root' }));
    try {
      await waitForLan(file, fast);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, LanNotReadyError);
      assert.match((e as Error).message, /the desk LAN is not there: not running as root/);
    }
    let now = 0;
    const never = waitForLan(join(dir, 'never.json'), { timeoutMs: 1_000, pollMs: 250, now: () => now, sleep: async (ms) => { now += ms; } });
    try {
      await never;
      assert.unreachable();
    } catch (e) {
      assert.instance(e, LanNotReadyError);
      assert.match((e as Error).message, /did not say it was up within 1 s/);
      assert.is(now, 1_000, 'gave up at the deadline of the injected clock');
    }
  });
});

test('net service: a board with nothing kept does not wait; net.ls waits and fails with the desk reason', async () => {
  await withTempDir('deskbox-lan-ready-', async (dir) => {
    const readyFile = join(dir, 'lan-ready.json');
    const service = createNetService({
      config: { namespace: 'dbx-test-b01', prefix: 'dbx-test-b01', stateFile: join(dir, 'net.json'), readyFile },
      logger: memoryLogger(),
      guests: () => [],
      lanWait: fast,
    });
    assert.is(await service.reapply(), false, 'no kept part: answered at once, without the LAN');
    const listing = service.ls();
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(readyFile, JSON.stringify({ up: false, reason: 'could not make the desk LAN (boom)' }));
    try {
      await listing;
      assert.unreachable();
    } catch (e) {
      assert.instance(e, LanNotReadyError);
      assert.match((e as Error).message, /boom/);
    }
  });
});

test.run();
