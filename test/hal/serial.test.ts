import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstat, mkdir, readFile, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serialContract } from './serial.contract.ts';
import { simSerialBinding } from '../../board/hal/serial/sim.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { openPtyPair } from '../../host/desk/pty-pair.ts';
import { HalError } from '../../platform/hal/errors.ts';
import { runProgram } from '../support/run-program.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';

serialContract('sim', async () => {
  const binding = simSerialBinding();
  binding.createPair('/sim/host', '/sim/board');
  return { binding, ends: ['/sim/host', '/sim/board'], missing: '/sim/nothing', cleanup: async () => undefined };
});

/** Every socat this file started, to prove none outlives its test. */
const socats: number[] = [];
// Should a failure crash this file before a cleanup ran, still take every socat with it.
process.once('exit', () => {
  for (const pid of socats) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

serialContract('serialport on a real pty pair', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-pty-');
  const pair = await openPtyPair(dir, 'b01');
  socats.push(pair.pid);
  return {
    binding: serialportBinding(),
    ends: [pair.hostPath, pair.boardPath],
    missing: join(dir, 'nothing.board'),
    async cleanup() {
      await pair.close();
      assert.not.ok(alive(pair.pid), `socat ${pair.pid} still running after close`);
      for (const p of [pair.hostPath, pair.boardPath]) assert.not.ok(await exists(p), `${p} left behind`);
      await removeDir();
    },
  };
});

test('pty pair: an unclosed pair does not keep its caller alive', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-pty-');
  const script = `
    import { openPtyPair } from ${JSON.stringify(new URL('../../host/desk/pty-pair.ts', import.meta.url).href)};
    const pair = await openPtyPair(${JSON.stringify(dir)}, 'leak');
    process.stdout.write('pid=' + pair.pid + '\\n');`;
  let pid = 0;
  try {
    const r = await runProgram(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeoutMs: 10000 });
    if (r.code !== 0) throw new Error(`child ${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}\n${r.stderr}`);
    const out = r.stdout;
    pid = Number(/pid=(\d+)/.exec(out)?.[1] ?? 0);
    assert.ok(pid > 0, `child printed ${JSON.stringify(out)}`);
    socats.push(pid);
    assert.ok(alive(pid), 'the pair outlives its caller (it was never closed)');
  } finally {
    if (pid && alive(pid)) process.kill(pid, 'SIGTERM');
    await waitFor(() => !pid || !alive(pid), { timeoutMs: 3000, what: `orphaned socat ${pid} to exit`, pollMs: 20 });
    await removeDir();
  }
});

test('pty pair: links in use, bad names and a missed deadline are clear errors that leave nothing behind', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-pty-');
  try {
    const pair = await openPtyPair(dir, 'x');
    socats.push(pair.pid);
    const busy = await openPtyPair(dir, 'x').then(() => undefined, (err: Error) => err);
    assert.match(busy?.message ?? '', /in use by another pair/);
    await pair.close();
    await pair.close();

    // A link a SIGKILLed socat left behind, leading to a pty number the kernel has since
    // given to another pair: that pair does not own this name, so it may be taken over.
    const { path: otherDir, remove: removeOtherDir } = await tempDir('deskbox-pty-other-');
    const other = await openPtyPair(otherDir, 'o');
    socats.push(other.pid);
    await symlink(await readlink(other.hostPath), join(dir, 'w.host'));
    const taken = await openPtyPair(dir, 'w');
    socats.push(taken.pid);
    assert.is.not(await readlink(taken.hostPath), await readlink(other.hostPath), 'the stale link now leads to the new pair');
    await Promise.all([taken.close(), other.close()]);
    await removeOtherDir();

    const bad = await openPtyPair(dir, 'y,bogus').then(() => undefined, (err: Error) => err);
    assert.match(bad?.message ?? '', /invalid name "y,bogus"/);

    // A socat that never gets ready, found first on PATH.
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'socat'), `#!/bin/sh\necho $$ > ${dir}/fake.pid\nexec sleep 30\n`, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    let late: Error | undefined;
    try {
      late = await openPtyPair(dir, 'z', { timeoutMs: 1000 }).then(() => undefined, (err: Error) => err);
    } finally {
      process.env.PATH = path;
    }
    assert.match(late?.message ?? '', /pty pair z: timed out after 1000 ms/);
    const fake = Number(await readFile(join(dir, 'fake.pid'), 'utf8'));
    assert.ok(fake > 0);
    assert.not.ok(alive(fake), 'the stuck process was killed');
    assert.equal((await readdir(dir)).sort(), ['bin', 'fake.pid'], 'no links left');
  } finally {
    await removeDir();
  }
});

test('serialport: the far end vanishing turns writes into HalErrors, nothing crashes', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-pty-');
  try {
    const pair = await openPtyPair(dir, 'gone');
    socats.push(pair.pid);
    const board = await serialportBinding().open(pair.boardPath, { baudRate: 115200 });
    await pair.close();
    for (let i = 0; i < 3; i++) {
      const e = await board.write('x').then(() => undefined, (err: unknown) => err);
      assert.instance(e, HalError);
      assert.is((e as HalError).path, pair.boardPath);
      assert.match((e as HalError).message, /EIO|closed/, (e as HalError).message);
    }
    await board.close();
  } finally {
    await removeDir();
  }
});

test('serialport: a link that only reads learns its far end vanished (onGone), without writing', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-pty-');
  try {
    const pair = await openPtyPair(dir, 'hup');
    socats.push(pair.pid);
    const host = await serialportBinding().open(pair.hostPath, { baudRate: 115200 });
    const reasons: Error[] = [];
    host.onGone!((r) => reasons.push(r));
    host.onData(() => undefined);
    await pair.close();
    await waitFor(() => reasons.length > 0, { timeoutMs: 2000, what: 'onGone after the pty master closed' });
    assert.instance(reasons[0], HalError);
    // A read in flight when the master closes fails with EIO; the next one sees end of file (hung up).
    assert.match(reasons[0]!.message, /hung up|bad file descriptor|EIO/, reasons[0]!.message);
    // Unfixed, nothing is reported: the binding re-reads the hung-up tty thousands of times a
    // second until a write fails. Gone means closed, so the reading has stopped.
    const late: Error[] = [];
    host.onGone!((r) => late.push(r));
    await waitFor(() => late.length > 0, { timeoutMs: 1000, what: 'onGone for a late subscriber' });
    const e = await host.write('x').then(() => undefined, (err: unknown) => err);
    assert.instance(e, HalError);
    await host.close();
    assert.is(reasons.length, 1);
  } finally {
    await removeDir();
  }
});

test('every socat started here is gone', () => {
  assert.ok(socats.length > 0);
  assert.equal(socats.filter(alive), []);
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
