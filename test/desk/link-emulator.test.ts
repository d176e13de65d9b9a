import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openLinkEmulator, LinkEmulatorError, type LinkEmulator, type LinkSettings } from '../../host/desk/link-emulator.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';
import { socatsUsing } from '../support/deskbox.ts';

const serial = serialportBinding();
const clean: LinkSettings = { baud: 115200, latencyMs: 0, bitErrorRate: 0, dropRate: 0 };

/** One emulator per test, in its own folder; the folder must be empty of links afterwards. */
async function withLink(settings: Partial<LinkSettings>, body: (link: LinkEmulator, dir: string) => Promise<void>, random?: () => number): Promise<void> {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-link-');
  const link = await openLinkEmulator(dir, 'b01', { ...clean, ...settings }, { random });
  try {
    await body(link, dir);
  } finally {
    await link.close();
    await removeDir();
  }
}

/** Everything a port receives, and a way to wait for some of it with a deadline. */
function collect(port: { onData(cb: (b: Buffer) => void): () => void } | LinkEmulator) {
  const chunks: Buffer[] = [];
  const subscribe = 'onData' in port ? port.onData.bind(port) : port.onBoardOutput.bind(port);
  const stop = subscribe((c) => chunks.push(c));
  const all = () => Buffer.concat(chunks);
  return {
    all,
    stop,
    async until(cond: (b: Buffer) => boolean, timeoutMs: number, what: string): Promise<Buffer> {
      await waitFor(() => cond(all()), { timeoutMs, pollMs: 2, what: () => `${what} (have ${all().length} bytes)` });
      return all();
    },
  };
}

async function timedTransfer(link: LinkEmulator, bytes: Buffer): Promise<{ ms: number; received: Buffer }> {
  const host = await serial.open(link.hostPath, { baudRate: link.settings().baud });
  const board = await serial.open(link.boardPath, { baudRate: link.settings().baud });
  try {
    const rx = collect(board);
    const started = performance.now();
    await host.write(bytes);
    const received = await rx.until((b) => b.length >= bytes.length, 20_000, `${bytes.length} bytes`);
    return { ms: performance.now() - started, received };
  } finally {
    await Promise.all([host.close(), board.close()]);
  }
}

test('115200 baud: 20 KB host -> board take bytes * 10 / baud + latency', async () => {
  await withLink({ baud: 115200, latencyMs: 5 }, async (link) => {
    const data = randomBytes(20_000);
    const { ms, received } = await timedTransfer(link, data);
    const expected = (data.length * 10_000) / 115200 + 5;
    assert.ok(received.equals(data), 'intact');
    assert.ok(ms >= 0.9 * expected && ms <= 1.15 * expected, `${ms.toFixed(0)} ms, expected ${expected.toFixed(0)} ms`);
    assert.equal(link.stats().toBoard, { bytes: 20_000, dropped: 0, flipped: 0, unplugged: 0, overrun: 0 });
  });
});

test('latency: a 1-byte ping-pong through a board-side echo takes 2 x latency + 2 byte times', async () => {
  await withLink({ baud: 115200, latencyMs: 40 }, async (link) => {
    const host = await serial.open(link.hostPath, { baudRate: 115200 });
    const board = await serial.open(link.boardPath, { baudRate: 115200 });
    try {
      board.onData((c) => { void board.write(c); });
      const rx = collect(host);
      const rtts: number[] = [];
      for (let i = 0; i < 9; i++) {
        const started = performance.now();
        await host.write(Buffer.from([i]));
        await rx.until((b) => b.length > i, 2000, `echo ${i}`);
        rtts.push(performance.now() - started);
      }
      const median = [...rtts].sort((a, b) => a - b)[4]!;
      const expected = 2 * 40 + (2 * 10_000) / 115200;
      assert.ok(Math.min(...rtts) >= expected - 1, `fastest ${Math.min(...rtts).toFixed(1)} ms beats the wire (${expected.toFixed(1)} ms)`);
      // Timers and four pty hops each way add a millisecond or two; a loaded machine adds more.
      assert.ok(median <= expected + 10, `median ${median.toFixed(1)} ms, expected ~${expected.toFixed(1)} ms (all: ${rtts.map((r) => r.toFixed(1))})`);
      assert.equal([...rx.all()], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    } finally {
      await Promise.all([host.close(), board.close()]);
    }
  });
});

test('3 Mbaud: 200 KB arrive intact and no faster than the line rate', async () => {
  await withLink({ baud: 3_000_000, latencyMs: 2 }, async (link) => {
    const data = randomBytes(200_000);
    const { ms, received } = await timedTransfer(link, data);
    const wire = (data.length * 10_000) / 3_000_000 + 2;
    assert.ok(received.equals(data), 'intact');
    assert.ok(ms >= wire - 1, `${ms.toFixed(0)} ms is faster than the wire allows (${wire.toFixed(0)} ms)`);
    assert.ok(ms <= 1.5 * wire, `${ms.toFixed(0)} ms, expected ~${wire.toFixed(0)} ms`);
  });
});

test('noise: bitErrorRate 0.01 flips one bit in ~1% of bytes, dropRate drops ~that share; stats count both', async () => {
  await withLink({ baud: 3_000_000, bitErrorRate: 0.01 }, async (link) => {
    const data = randomBytes(30_000);
    const { received } = await timedTransfer(link, data);
    assert.is(received.length, data.length);
    let differing = 0;
    for (let i = 0; i < data.length; i++) {
      const x = data[i]! ^ received[i]!;
      if (x === 0) continue;
      differing++;
      assert.ok((x & (x - 1)) === 0, `byte ${i}: more than one bit flipped`);
    }
    assert.is(link.stats().toBoard.flipped, differing);
    assert.ok(differing > 0.007 * data.length && differing < 0.013 * data.length, `${differing} of ${data.length} flipped`);

    link.set({ bitErrorRate: 0, dropRate: 0.02 });
    const more = randomBytes(10_000);
    const host = await serial.open(link.hostPath, { baudRate: 3_000_000 });
    const board = await serial.open(link.boardPath, { baudRate: 3_000_000 });
    try {
      const rx = collect(board);
      await host.write(more);
      await rx.until(() => link.stats().toBoard.bytes === 40_000 && link.stats().toBoard.dropped + rx.all().length >= 10_000, 5000, 'the second batch');
      const dropped = link.stats().toBoard.dropped;
      assert.is(rx.all().length, 10_000 - dropped);
      assert.ok(dropped > 100 && dropped < 300, `${dropped} of 10000 dropped`);
    } finally {
      await Promise.all([host.close(), board.close()]);
    }
  }, seededRandom(42));
});

test('unplug mid-stream loses what is in flight and what is sent meanwhile; plug restores', async () => {
  await withLink({ baud: 115200, latencyMs: 2 }, async (link) => {
    const host = await serial.open(link.hostPath, { baudRate: 115200 });
    const board = await serial.open(link.boardPath, { baudRate: 115200 });
    try {
      const rx = collect(board);
      const hostRx = collect(host);
      const data = randomBytes(10_000);
      await host.write(data);
      await rx.until((b) => b.length >= 1000, 3000, 'the first KB');
      link.unplug();
      await host.write('sent while unplugged');
      await board.write('board talks to nobody');
      // Every byte is accounted for once it has either arrived or been counted lost.
      const total = data.length + 'sent while unplugged'.length;
      await rx.until((b) => b.length + link.stats().toBoard.unplugged === total, 3000, 'the cut to settle');
      await rx.until(() => link.stats().toHost.unplugged === 'board talks to nobody'.length, 3000, 'the board\'s bytes to be lost');
      const kept = rx.all().length;
      assert.ok(kept >= 1000 && kept < data.length, `${kept} bytes made it`);
      link.plug();
      await host.write('after plug');
      const got = await rx.until((b) => b.length >= kept + 'after plug'.length, 3000, 'bytes after plug');
      assert.ok(got.subarray(0, kept).equals(data.subarray(0, kept)), 'what arrived is the stream up to the cut');
      assert.is(got.subarray(kept).toString(), 'after plug');
      assert.is(hostRx.all().length, 0);
      assert.is(link.stats().toHost.unplugged, 'board talks to nobody'.length);
    } finally {
      await Promise.all([host.close(), board.close()]);
    }
  });
});

test('board output reaches onBoardOutput while nobody holds the host end, without stalling; reopening works', async () => {
  await withLink({ baud: 3_000_000 }, async (link) => {
    const log = collect(link);
    const board = await serial.open(link.boardPath, { baudRate: 3_000_000 });
    try {
      // Far more than the kernel and socat buffer toward a closed pty (~40 KB).
      const boot = randomBytes(300_000);
      await board.write(boot);
      await log.until((b) => b.length >= boot.length, 5000, 'the whole boot output in the log');
      assert.ok(log.all().equals(boot), 'the log has every byte, in order');
      assert.ok(link.stats().toHost.overrun > 0, 'the relay discarded what nobody read');
      for (let round = 0; round < 3; round++) {
        const host = await serial.open(link.hostPath, { baudRate: 3_000_000 });
        const rx = collect(host);
        const marker = `round ${round} from the board`;
        await board.write(marker);
        // Stale bytes from before the open may come first, as from a FIFO nobody emptied.
        await rx.until((b) => b.toString('latin1').includes(marker), 3000, `"${marker}" on the reopened host end`);
        await host.write(`round ${round} from the host`);
        await host.close();
      }
      assert.ok(log.all().toString('latin1').endsWith('round 2 from the board'));
    } finally {
      await board.close();
    }
    // The board side restarts too (the agent reopening its UART).
    const again = await serial.open(link.boardPath, { baudRate: 3_000_000 });
    const host = await serial.open(link.hostPath, { baudRate: 3_000_000 });
    try {
      const rx = collect(again);
      await host.write('hello again');
      await rx.until((b) => b.toString('latin1').includes('hello again'), 3000, 'host bytes on the reopened board end');
    } finally {
      await Promise.all([host.close(), again.close()]);
    }
  });
});

test('adapter unplugged: the host end hangs up and its path goes; board output still reaches the log; plugged: a new device at the same path', async () => {
  await withLink({ baud: 3_000_000 }, async (link, dir) => {
    const log = collect(link);
    const board = await serial.open(link.boardPath, { baudRate: 3_000_000 });
    const host = await serial.open(link.hostPath, { baudRate: 3_000_000 });
    try {
      const rx = collect(host);
      await board.write('before');
      await rx.until((b) => b.toString() === 'before', 3000, '"before" on the host end');
      const [adapterPid] = link.pids();
      const gone: Error[] = [];
      host.onGone!((r) => gone.push(r));
      await link.unplugAdapter();
      await link.unplugAdapter();
      assert.not.ok(link.adapterPresent());
      await waitFor(() => gone.length > 0, { timeoutMs: 3000, what: 'the host end to see its device go' });
      assert.match(gone[0]!.message, /hung up|bad file descriptor/, gone[0]!.message);
      assert.not.ok(await lstat(link.hostPath).then(() => true, () => false), 'hostPath is gone with the adapter');
      assert.not.ok((await socatsUsing(dir)).includes(adapterPid!), 'the adapter\'s socat ended');
      assert.is(link.pids().length, 1, 'only the board\'s pair is left');
      await board.write('during the gap');
      await log.until((b) => b.toString().endsWith('during the gap'), 3000, 'gap output in the log');
      await waitFor(() => link.stats().toHost.overrun === 'during the gap'.length, { timeoutMs: 3000, what: 'the gap output counted as overrun' });
      await host.close();

      await link.plugAdapter();
      assert.ok(link.adapterPresent());
      assert.not.equal(link.pids()[0], adapterPid, 'a new device');
      const again = await serial.open(link.hostPath, { baudRate: 3_000_000 });
      try {
        const rx2 = collect(again);
        const boardRx = collect(board);
        await board.write('after');
        await rx2.until((b) => b.toString('latin1').endsWith('after'), 3000, '"after" on the new host end');
        assert.not.ok(rx2.all().toString('latin1').includes('gap'), 'nothing from the gap reaches the new device');
        await again.write('host is back');
        await boardRx.until((b) => b.toString() === 'host is back', 3000, 'host bytes on the board end');
      } finally {
        await again.close();
      }
      // Closed while unplugged, the emulator still leaves nothing behind (withLink checks the folder).
      await link.unplugAdapter();
    } finally {
      await Promise.all([host.close(), board.close()]);
    }
    await link.close();
    assert.equal(await socatsUsing(dir), []);
    assert.equal(await readdir(dir), []);
  });
});

test('settings are checked; close() leaves no socat and no links, and is idempotent', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-link-');
  const opened: { close(): Promise<void> }[] = [];
  try {
    const bad = await openLinkEmulator(dir, 'x', { ...clean, baud: 0 }).then(() => undefined, (e: unknown) => e);
    assert.instance(bad, LinkEmulatorError);
    const link = await openLinkEmulator(dir, 'b02', clean, {});
    opened.push(link);
    assert.throws(() => link.set({ dropRate: 2 }), /dropRate must be within \[0, 1\]/);
    link.set({ baud: 9600, latencyMs: 3 });
    assert.equal(link.settings(), { ...clean, baud: 9600, latencyMs: 3 });
    const socats = await socatsUsing(dir);
    assert.is(socats.length, 2, 'two pty pairs');
    // Closed mid-stream, with the wire busy and the relay's write toward the closed host end stuck.
    link.set({ baud: 3_000_000 });
    const board = await serial.open(link.boardPath, { baudRate: 3_000_000 });
    opened.push(board);
    await board.write(randomBytes(200_000));
    const log = collect(link);
    await log.until(() => link.stats().toHost.overrun > 0, 3000, 'the relay to give up on the closed host end');
    await link.close();
    await board.close();
    await link.close();
    assert.equal(await socatsUsing(dir), []);
    assert.equal(await readdir(dir), [], 'no pty links left');
    for (const p of [link.hostPath, link.boardPath]) assert.not.ok(await lstat(p).then(() => true, () => false), `${p} left behind`);
  } finally {
    for (const o of opened) await o.close();
    await removeDir();
  }
});

test.run();
