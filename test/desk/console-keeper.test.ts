/**
 * The console keeper on real ptys and the real serialport binding: a link emulator's USB
 * adapter is unplugged and plugged back behind a stable symlink, as /dev/serial/by-path leads
 * to whichever ttyUSB the adapter got.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFile, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { openLinkEmulator, type LinkEmulator } from '../../host/desk/link-emulator.ts';
import { openConsoleKeeper, ConsoleKeeperError, type ConsoleEvent, type ConsoleKeeper } from '../../host/console/keeper.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { systemClock, type Clock } from '../../platform/clock.ts';
import type { SerialLink } from '../../platform/hal/serial.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';
import { socatsUsing } from '../support/deskbox.ts';

const BAUD = 115200;
const BACKOFF = { minMs: 100, maxMs: 400, factor: 2 };

interface Desk { dir: string; link: LinkEmulator; board: SerialLink; stable: string; logFile: string }

/** A link emulator in its own folder, its board end open; afterwards no socat, link or timer is left. */
async function withDesk(body: (d: Desk) => Promise<void>): Promise<void> {
  const { path: dir, remove } = await tempDir('deskbox-keeper-');
  const link = await openLinkEmulator(dir, 'b01', { baud: BAUD, latencyMs: 0, bitErrorRate: 0, dropRate: 0 });
  const board = await serialportBinding().open(link.boardPath, { baudRate: BAUD });
  try {
    await body({ dir, link, board, stable: join(dir, 'by-path-b01'), logFile: join(dir, 'b01.console.log') });
  } finally {
    await board.close();
    await link.close();
    assert.equal(await socatsUsing(dir), [], 'no socat left');
    await remove();
  }
}

/** The system clock, counting the timers still pending: none may outlive close(). */
function countingClock(): Clock & { pending(): number } {
  const clock = systemClock();
  const live = new Set<number>();
  return {
    ...clock,
    setTimeout(fn, ms) {
      const h = clock.setTimeout(() => { live.delete(h.id); fn(); }, ms);
      live.add(h.id);
      return h;
    },
    clearTimeout(h) { live.delete(h.id); clock.clearTimeout(h); },
    pending: () => live.size,
  };
}

function received(keeper: ConsoleKeeper) {
  let text = '';
  keeper.onData((c) => { text += c.toString('latin1'); });
  return {
    text: () => text,
    until: (needle: string, timeoutMs = 3000) => waitFor(() => text.includes(needle), { timeoutMs, what: () => `"${needle}" from the keeper (have ${JSON.stringify(text)})` }),
  };
}

const logHas = (file: string, re: RegExp, what: string) =>
  waitFor(async () => re.test(await readFile(file, 'utf8').catch(() => '')), { timeoutMs: 3000, what: `${what} in the console log` });

test('adapter unplugged and plugged back: the keeper notes the gap, reopens within the backoff bound, reads on', async () => {
  await withDesk(async ({ link, board, stable, logFile }) => {
    await symlink(link.hostPath, stable);
    const events: ConsoleEvent[] = [];
    const clock = countingClock();
    const keeper = await openConsoleKeeper({ path: stable, baud: BAUD, label: 'b01', logFile, clock, backoff: BACKOFF, onEvent: (e) => events.push(e) });
    try {
      assert.is(keeper.state(), 'open');
      const rx = received(keeper);
      await board.write('U-Boot 2024.01\r\n');
      await rx.until('U-Boot 2024.01');
      await keeper.write('from the desk');

      await link.unplugAdapter();
      await waitFor(() => keeper.state() === 'gone', { timeoutMs: 3000, what: 'the keeper to see the adapter go' });
      await logHas(logFile, /\n\[deskbox \d{4}-\d\d-\d\dT[\d:.]+Z console gone: .+\]\n/, 'the gone line');
      const refused = await keeper.write('into the void').then(() => undefined, (e: unknown) => e);
      assert.instance(refused, ConsoleKeeperError);
      assert.is((refused as ConsoleKeeperError).state, 'gone');
      // The board keeps talking into the gap: nothing crashes, nothing arrives.
      await board.write('said during the gap\r\n');
      await waitFor(() => link.stats().toHost.overrun > 0, { timeoutMs: 3000, what: 'the gap output to be discarded' });
      assert.is(keeper.state(), 'gone');

      const pluggedAt = Date.now();
      await link.plugAdapter();
      await keeper.waitOpen(BACKOFF.maxMs + 1500);
      const reopenMs = Date.now() - pluggedAt;
      await board.write('back again\r\n');
      await rx.until('back again');
      assert.not.ok(rx.text().includes('said during the gap'));
      await logHas(logFile, /\[deskbox [\dT:.Z-]+ console back after \d+\.\d s \(\/dev\/pts\/\d+\)\]\n/, 'the back line');

      assert.equal(events.map((e) => e.kind), ['open', 'gone', 'back']);
      const [open, gone, back] = events as [ConsoleEvent, ConsoleEvent, ConsoleEvent];
      assert.ok(back.gapMs! >= 0 && Math.abs(back.gapMs! - (back.at - gone.at)) < 50, `gap ${back.gapMs} ms`);
      // Resolved again at the reopen (the kernel may hand out the freed pty number again).
      assert.match(open.device!, /^\/dev\/pts\/\d+$/);
      assert.match(back.device!, /^\/dev\/pts\/\d+$/);
      const log = await readFile(logFile, 'utf8');
      assert.ok(log.indexOf('U-Boot 2024.01') < log.indexOf('console gone') && log.indexOf('console back') < log.indexOf('back again'), log);
      console.log(`    reopened ${reopenMs} ms after the plug, gap ${back.gapMs!.toFixed(0)} ms`);
    } finally {
      await keeper.close();
    }
    assert.is(clock.pending(), 0, 'no timer left');
  });
});

test('a path missing at start is reported, not thrown, and opens once it appears', async () => {
  await withDesk(async ({ link, board, stable, logFile }) => {
    const events: ConsoleEvent[] = [];
    const keeper = await openConsoleKeeper({ path: stable, baud: BAUD, label: 'b01', logFile, backoff: BACKOFF, onEvent: (e) => events.push(e) });
    try {
      assert.is(keeper.state(), 'missing');
      assert.equal(events.map((e) => e.kind), ['missing']);
      assert.match(events[0]!.reason!, /ENOENT/);
      await symlink(link.hostPath, stable);
      await keeper.waitOpen(BACKOFF.maxMs + 1500);
      const rx = received(keeper);
      await board.write('late but here');
      await rx.until('late but here');
      assert.equal(events.map((e) => e.kind), ['missing', 'open']);
      assert.ok(events[1]!.gapMs! > 0);
      await logHas(logFile, /console missing: .*ENOENT.*\]\n[^]*console open on \/dev\/pts\/\d+ after \d+\.\d s missing\]/, 'missing then open');
    } finally {
      await keeper.close();
    }
  });
});

test('close() during backoff stops the retries: no timer, no attempt, no socat left', async () => {
  await withDesk(async ({ dir, link, stable }) => {
    await symlink(link.hostPath, stable);
    const clock = countingClock();
    let attempts = 0;
    const resolve = (p: string) => { attempts++; return import('node:fs/promises').then((fs) => fs.realpath(p)); };
    const keeper = await openConsoleKeeper({ path: stable, baud: BAUD, label: 'b01', clock, backoff: BACKOFF, resolve });
    await link.unplugAdapter();
    await waitFor(() => attempts >= 3, { timeoutMs: 3000, what: 'a few retries' });
    assert.is(keeper.state(), 'gone');
    await keeper.close();
    await keeper.close();
    assert.is(clock.pending(), 0, 'no retry timer left');
    const after = attempts;
    const waited = await keeper.waitOpen(100).then(() => undefined, (e: unknown) => e);
    assert.instance(waited, ConsoleKeeperError);
    assert.is(attempts, after, 'no attempt after close');
    assert.equal(link.pids().length, 1, 'only the board\'s pair while the adapter is out');
    assert.equal((await readdir(dir)).filter((f) => f.includes('hostside')), []);
  });
});

test('deskbox console: a replugged adapter does not end the session; a line on stderr when it goes and comes back', async () => {
  await withDesk(async ({ link, board, stable }) => {
    await symlink(link.hostPath, stable);
    const cli = new URL('../../host/cli/main.ts', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'console', stable, '--baud', String(BAUD)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString('latin1'); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString('latin1'); });
    try {
      await waitFor(() => err.includes('connected to'), { timeoutMs: 10_000, what: () => `the console to connect (stderr: ${err})` });
      await board.write('first words\r\n');
      await waitFor(() => out.includes('first words'), { timeoutMs: 3000, what: 'board output on stdout' });
      await link.unplugAdapter();
      await waitFor(() => /went away/.test(err), { timeoutMs: 3000, what: () => `the gone note (stderr: ${err})` });
      await link.plugAdapter();
      await waitFor(() => /is back after \d+\.\d s/.test(err), { timeoutMs: 3000, what: () => `the back note (stderr: ${err})` });
      const boardRx: Buffer[] = [];
      board.onData((c) => boardRx.push(c));
      child.stdin.write('typed after the replug');
      await waitFor(() => Buffer.concat(boardRx).toString().includes('typed after the replug'), { timeoutMs: 3000, what: 'typed input on the board' });
      await board.write('still here\r\n');
      await waitFor(() => out.includes('still here'), { timeoutMs: 3000, what: 'output after the replug' });
      child.stdin.write(Buffer.from([0x1d]));
      assert.is(await exited, 0);
      assert.match(err, /left the console/);
    } finally {
      if (child.exitCode === null) child.kill();
      await exited;
    }
  });
});

test.run();
