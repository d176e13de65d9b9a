import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { serialContract } from '../hal/serial.contract.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { startPtyHost, type PtyHost } from '../../host/desk/pty-host.ts';
import { HalError } from '../../platform/hal/errors.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';

/** Every pty host this file started, to prove none outlives its test. */
const hosts: number[] = [];
process.once('exit', () => {
  for (const pid of hosts) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

async function started(): Promise<PtyHost> {
  const host = await startPtyHost();
  hosts.push(host.pid);
  return host;
}

serialContract('serialport on a pty host\'s pair', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-ptyhost-');
  const host = await started();
  const pair = await host.openPair(dir, 'b01');
  return {
    binding: serialportBinding(),
    ends: [pair.hostPath, pair.boardPath],
    missing: join(dir, 'nothing.board'),
    async cleanup() {
      await pair.close();
      for (const p of [pair.hostPath, pair.boardPath]) assert.not.ok(await exists(p), `${p} left behind`);
      await host.close();
      assert.not.ok(alive(host.pid), `pty host ${host.pid} still running after close`);
      await removeDir();
    },
  };
});

test('pty host: many pairs in one process; a closed pair hangs up whoever has it open', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-ptyhost-');
  const host = await started();
  try {
    const pairs = await Promise.all(Array.from({ length: 40 }, (_, i) => host.openPair(dir, `p${i}`)));
    const devices = await Promise.all(pairs.map((p) => readlink(p.hostPath)));
    assert.is(new Set(devices).size, 40, 'a pty of its own for each pair');
    const busy = await host.openPair(dir, 'p0').then(() => undefined, (e: Error) => e);
    assert.match(busy?.message ?? '', /in use/);
    const bad = await host.openPair(dir, 'y,bogus').then(() => undefined, (e: Error) => e);
    assert.match(bad?.message ?? '', /invalid/);

    const desk = await serialportBinding().open(pairs[7]!.hostPath, { baudRate: 115200 });
    const reasons: Error[] = [];
    desk.onGone!((r) => reasons.push(r));
    desk.onData(() => undefined);
    await pairs[7]!.close();
    await waitFor(() => reasons.length > 0, { timeoutMs: 2000, what: 'onGone after the pair closed' });
    assert.instance(reasons[0], HalError);
    await desk.close();
    assert.not.ok(await exists(pairs[7]!.hostPath), 'its links went with it');
    assert.ok(await exists(pairs[8]!.hostPath), 'the others stay');
  } finally {
    await host.close();
    await removeDir();
  }
  assert.not.ok(alive(host.pid), 'the host ended');
});

test('pty host: closing it removes every pair it held, links and ptys', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-ptyhost-');
  const host = await started();
  try {
    const pair = await host.openPair(dir, 'left');
    const device = await readlink(pair.boardPath);
    await host.close();
    assert.not.ok(alive(host.pid));
    for (const p of [pair.hostPath, pair.boardPath]) assert.not.ok(await exists(p), `${p} left behind`);
    const reopened = await serialportBinding().open(device, { baudRate: 9600 }).then(async (l) => { await l.close(); return true; }, () => false);
    assert.not.ok(reopened, `${device} is gone`);
  } finally {
    await host.close();
    await removeDir();
  }
});

test('every pty host started here is gone', () => {
  assert.ok(hosts.length > 0);
  for (const pid of hosts) assert.not.ok(alive(pid), `pty host ${pid} still running`);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(() => true, () => false);
}

test.run();
