/**
 * The run summary's power figures come from samples only: nothing across a board's silence,
 * a board's mean never above its peak, the desk's mean never above its peak; boots only from
 * within the run, and the idle phase of a run without a reboot.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { summarizeRun, type BootPhaseRow, type TelemetryRow } from '../../host/analysis/summary.ts';
import { renderReport } from '../../host/report/report.ts';
import { runHeadline } from '../../host/cli/run-headline.ts';
import { headlineMetrics } from '../../host/report/headline.ts';

const T = 1_700_000_000_000;
const row = (board: string, s: number, powerW: number, guestsRunning = 0): TelemetryRow => ({ board, at: T + Math.round(s * 1000), powerW, energyJ: 0, guestsRunning });
const mark = (name: string, s: number) => ({ name, at: T + s * 1000 });
const counts = { malformed: 0, lostTelemetry: 0 };
const FINISHED = { complete: true, aborted: false, quit: false, leftOut: [], lost: [], problems: [] };

test('the desk peak is not made by a line across a reboot: only boards sampled at a time add up', () => {
  const telemetry: TelemetryRow[] = [];
  for (let s = 0; s <= 200; s++) {
    // b1 is silent from 99 s to 112 s (a reboot), with a 5 W sample on either side.
    if (s <= 99 || s >= 112) telemetry.push(row('b1', s, s === 99 || s === 112 ? 5 : 1));
    telemetry.push(row('b2', s, s === 105 ? 4 : 1));
  }
  const sum = summarizeRun({ boards: ['b1', 'b2'], telemetry, bootPhases: [], guestBoots: [], marks: [mark('repetition-start', 0), mark('stop-end', 200)], counts });
  // Across the gap b1 would be 5 W at 105 s and the desk 9 W; b1 was never sampled then.
  assert.is(sum.desk.power!.peakW, 6);
  // 12 s of b1 not counted: 1 W over 185 s, the slopes either side of the 5 W samples, 3 J each.
  const b1 = sum.boards.find((b) => b.board === 'b1')!;
  assert.ok(Math.abs(b1.energyJ - (98 + 3 + 3 + 87)) < 1e-9, `b1 ${b1.energyJ} J`);
  assert.ok(b1.meanW! <= b1.peakW!);
});

test('a board with few samples in the window, and higher ones just outside it: its mean stays within its samples', () => {
  // The old mean was the window's energy (reaching out to the 10 W sample before the window) over the span of the in-window samples.
  const telemetry = [row('b1', -1, 10), row('b1', 0.5, 1), row('b1', 1.5, 1), row('b1', 3, 10)];
  const sum = summarizeRun({ boards: ['b1'], telemetry, bootPhases: [], guestBoots: [], marks: [mark('repetition-start', 0), mark('stop-end', 2)], counts });
  const b = sum.boards[0]!;
  assert.is(b.peakW, 1);
  assert.is(b.meanW, 1);
  assert.equal([b.sampledFrom, b.sampledTo], [T + 500, T + 1500]);
  assert.ok(sum.desk.power!.meanW <= sum.desk.power!.peakW);
});

test('property: over generated runs, mean <= peak for every board and for the desk', () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let run = 0; run < 300; run++) {
    const boards = Array.from({ length: 1 + Math.floor(rand() * 5) }, (_, i) => `b${i}`);
    const telemetry: TelemetryRow[] = [];
    for (const board of boards) {
      const period = 0.3 + rand() * 2;
      let s = -5 + rand() * 10;
      const end = 20 + rand() * 40;
      while (s < end) {
        const spike = rand() < 0.05 ? 20 * rand() : 0;
        telemetry.push(row(board, s, rand() * 3 + spike, Math.floor(rand() * 5)));
        // Now and then a long silence, or a sample that arrives late.
        s += rand() < 0.04 ? 5 + rand() * 15 : period * (0.5 + rand());
      }
    }
    const a = rand() * 10, b = a + rand() * 40;
    const sum = summarizeRun({ boards, telemetry, bootPhases: [], guestBoots: [], marks: [mark('repetition-start', a), mark('stop-end', b)], counts });
    for (const bs of sum.boards) {
      if (bs.meanW !== null) assert.ok(bs.meanW <= bs.peakW! * (1 + 1e-12) + 1e-12, `run ${run} ${bs.board}: mean ${bs.meanW} > peak ${bs.peakW}`);
    }
    const p = sum.desk.power;
    if (p) assert.ok(p.meanW <= p.peakW * (1 + 1e-9) + 1e-9, `run ${run}: desk mean ${p.meanW} > peak ${p.peakW}`);
  }
});

test('without a reboot: no boot time from the boards\' boot before the run, "no reboot in this run", and the idle phase measured', () => {
  const telemetry: TelemetryRow[] = [];
  for (let s = -30; s <= 60; s++) for (const board of ['b1', 'b2']) telemetry.push(row(board, s, s >= 20 && s < 40 ? 3 : 1, s >= 20 && s < 50 ? 4 : 0));
  // Each board's last boot, reported with its status, was long before the run.
  const bootPhases: BootPhaseRow[] = ['b1', 'b2'].flatMap((board) => [{ board, phase: 'power-on', at: T - 600_000 }, { board, phase: 'ready', at: T - 590_000 }]);
  const marks = [mark('repetition-start', 0), mark('boards-ready', 1), mark('launch-start', 11), mark('launch-end', 20), mark('hold-start', 20), mark('hold-end', 50), mark('stop-end', 55)];
  const sum = summarizeRun({ boards: ['b1', 'b2'], telemetry, bootPhases, guestBoots: [], marks, counts });
  assert.is(sum.desk.boardBootMs, null);
  assert.equal(sum.boards.map((b) => b.bootMs), [null, null]);
  assert.is(sum.desk.idleW, 2, 'idle: boards-ready to launch-start');
  const html = renderReport({ title: 't', runId: 'r', plan: { reboot: false, idle: 10_000 }, summary: sum, series: { telemetry, bootPhases, guestBoots: [], marks }, status: FINISHED });
  assert.match(html, /Board boot p50<\/div><div class="v">–<\/div><div class="s">no reboot in this run/);
  assert.match(html, /<td>idle: boards-ready → launch-start<\/td><td>1<\/td><td>10 s<\/td>/, 'the idle phase in the phase table');
  assert.match(html, /<td>idle power<\/td><td>idle: boards-ready → launch-start<\/td><td>1<\/td><td>11<\/td><td>10 s<\/td>/, 'and in the table of windows');
  assert.match(html, /class="band-label"[^>]*>idle</, 'and as a band on the time plots');
  assert.ok(runHeadline(sum).includes('board boot none: no reboot in this run'));

  // With a reboot, the boot within the run counts.
  const rebooted = summarizeRun({ boards: ['b1', 'b2'], telemetry, bootPhases: [...bootPhases, { board: 'b1', phase: 'power-on', at: T + 500 }, { board: 'b1', phase: 'ready', at: T + 4500 }],
    guestBoots: [], marks: [mark('repetition-start', 0), mark('boot-start', 0.4), ...marks.slice(1)], counts });
  assert.equal(rebooted.boards.map((b) => b.bootMs), [4000, null]);
  assert.is(rebooted.desk.boardBootMs!.p50, 4000);
});

test('the terminal headline says what the report says', () => {
  const telemetry: TelemetryRow[] = [];
  for (let s = 0; s <= 60; s++) for (const board of ['b1', 'b2', 'b3']) telemetry.push(row(board, s + 0.1 * Number(board[1]), 1 + (s % 7) * 0.3, s > 20 ? 2 : 0));
  const sum = summarizeRun({ boards: ['b1', 'b2', 'b3'], telemetry, bootPhases: [], guestBoots: [], marks: [mark('repetition-start', 0), mark('stop-end', 60)], counts });
  const m = Object.fromEntries(headlineMetrics(sum).map((x) => [x.key, x.value]));
  const energy = runHeadline(sum)[1]!;
  assert.ok(energy.includes(`mean ${(m['power-mean'] as number).toFixed(2)} W, peak ${(m['power-peak'] as number).toFixed(2)} W`), energy);
  assert.ok(m['power-mean']! <= m['power-peak']!);
  assert.ok(runHeadline(sum)[2]!.includes(`at most ${sum.desk.peakGuestsRunning} running`));
  assert.is(sum.desk.peakGuestsRunning, 6);
});

test.run();
