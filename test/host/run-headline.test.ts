/** What `deskbox run` prints at its end: the headline figures, and phase lines without a terminal. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import type { RunSummary } from '../../host/analysis/summary.ts';
import { runHeadline } from '../../host/cli/run-headline.ts';
import { phaseBars } from '../../host/cli/phase-bars.ts';

const stats = (p50: number, p95: number, max: number, count: number) => ({ count, p50, p95, p99: max, max, mean: p50 });

test('the headline: boards, energy and power, guests and their boot times, board boots, the launch', () => {
  const desk = {
    boards: 8, boardsReporting: 7, energyJ: 1234.56, counterJ: 1230, crossCheckPct: 0.4, idleW: 8.04,
    power: { peakW: 12.345, meanW: 9.876 }, guestsBooted: 128, guestsFailed: 1, peakGuestsRunning: 127,
    guestBootMs: stats(23.2, 41, 55, 128), guestBootQuantiles: [], boardBootMs: stats(4100, 5200, 12_345, 8),
    launch: { ms: 15_000, joules: 30, idleW: 8, guestsBooted: 128, boardsInBaseline: 7, joulesPerGuestBoot: 0.2346 },
  };
  const lines = runHeadline({ desk, window: { from: 0, to: 65_000, durationMs: 65_000 } } as unknown as RunSummary);
  assert.equal(lines, [
    'boards     7 of 8 reporting, over 65.0 s',
    'energy     1234.6 J, mean 9.88 W, peak 12.35 W, idle 8.04 W',
    'guests     128 booted, 1 failed, at most 127 running; boot p50 23 ms, p95 41 ms, max 55 ms (128)',
    'board boot p50 4100 ms, p95 5200 ms, max 12.3 s (8)',
    'launch     128 guests in 15.0 s, 0.235 J a guest boot above idle',
  ]);
  const bare = runHeadline({ desk: { ...desk, power: null, idleW: null, guestBootMs: null, boardBootMs: null, launch: null }, window: null } as unknown as RunSummary);
  assert.equal(bare, ['boards     7 of 8 reporting', 'energy     1234.6 J', 'guests     128 booted, 1 failed, at most 127 running; boot none', 'board boot none: no reboot in this run']);
  const noPhases = runHeadline({ desk: { ...desk, boardBootMs: null }, window: null, marks: [{ name: 'boot-start', at: 0 }] } as unknown as RunSummary);
  assert.is(noPhases[3], 'board boot none: no boot phases reported in this run');
});

test('without a terminal, one line per finished phase; with --json, nothing', () => {
  let text = '';
  const out = new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } });
  const lines = phaseBars('lines', out);
  lines.start('launch', 16, 'guests');
  lines.update(16);
  lines.end();
  assert.match(text, /^launch  16\/16 guests in \d+\.\d s\n$/);
  text = '';
  const none = phaseBars('none', out);
  none.start('hold', 1, 's');
  none.end();
  assert.is(text, '');
});

test.run();
