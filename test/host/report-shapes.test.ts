/** The pure rules behind the report's lines and figures: gaps, steps, clipping, plan differences, desk sums. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GAP_FACTOR, medianStep, splitRuns } from '../../host/analysis/gaps.ts';
import { deskPeak, deskPowerSeries } from '../../host/analysis/desk-power.ts';
import { integrateSampled } from '../../host/analysis/energy.ts';
import type { Point } from '../../host/report/downsample.ts';
import { clipPolyline, splitAtGaps, toSteps } from '../../host/report/line-shape.ts';
import { describeDifferences, planDifferences } from '../../host/report/plan-diff.ts';

const everySecond = (from: number, to: number, w = 2): Point[] => Array.from({ length: to - from + 1 }, (_, i) => [from + i, w] as const);

test('splitAtGaps: a run breaks where a step exceeds 3x the median step; jitter up to that does not', () => {
  assert.is(GAP_FACTOR, 3);
  const reboot = [...everySecond(0, 10), ...everySecond(21, 30)]; // 11 s of silence
  assert.equal(splitAtGaps(reboot).map((r) => [r[0]![0], r[r.length - 1]![0]]), [[0, 10], [21, 30]]);
  const jitter: Point[] = [[0, 1], [1, 1], [2, 1], [4.9, 1], [6, 1], [7, 1]]; // a late sample: 2.9 s
  assert.is(splitAtGaps(jitter).length, 1);
  assert.is(splitAtGaps([[0, 1], [1, 1], [2, 1], [5.01, 1], [6, 1], [7, 1]]).length, 2, 'just over 3x');
  assert.equal(splitAtGaps([]), []);
  assert.equal(splitAtGaps([[5, 1]]), [[[5, 1]]]);
  assert.is(splitAtGaps([[1, 0], [1, 0.5], [1, 1]]).length, 1, 'no positive step: nothing to split on');
  assert.is(medianStep([0, 1, 2, 3, 100]), 1);
  assert.equal(splitRuns([0, 1, 2, 50, 51, 52, 53], (t) => t), [[0, 1, 2], [50, 51, 52, 53]]);
});

test('toSteps: a count holds until the next sample, then jumps', () => {
  assert.equal(toSteps([[0, 0], [1, 4], [2, 4], [3, 8]]), [[0, 0], [1, 0], [1, 4], [2, 4], [3, 4], [3, 8]]);
  assert.equal(toSteps([]), []);
  assert.equal(toSteps([[0, 3]]), [[0, 3]]);
  // No sloped piece: every segment is horizontal or vertical.
  const steps = toSteps([[0, 1], [2.5, 3], [4, 0], [7, 2]]);
  for (let i = 1; i < steps.length; i++) assert.ok(steps[i]![0] === steps[i - 1]![0] || steps[i]![1] === steps[i - 1]![1], `segment ${i}`);
});

test('clipPolyline: nothing outside the box; a line that leaves and returns is two pieces; inside lines are kept as they are', () => {
  const box = { x0: 0, y0: 0, x1: 10, y1: 10 };
  assert.equal(clipPolyline([[1, 1], [5, 5], [9, 2]], box), [[[1, 1], [5, 5], [9, 2]]]);
  assert.equal(clipPolyline([[-5, 5], [5, 5]], box), [[[0, 5], [5, 5]]]);
  assert.equal(clipPolyline([[2, 5], [2, 20], [4, 20], [4, 5]], box), [[[2, 5], [2, 10]], [[4, 10], [4, 5]]]);
  assert.equal(clipPolyline([[-5, -5], [-1, 20]], box), []);
  assert.equal(clipPolyline([[20, 5]], box), []);
  assert.equal(clipPolyline([[-10, 0], [20, 15]], box), [[[0, 5], [10, 10]]]);
  // Many random lines: every point of every piece is in the box.
  let seed = 7;
  const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 40 - 15;
  for (let k = 0; k < 200; k++) {
    const line = Array.from({ length: 12 }, (): Point => [rand(), rand()]);
    for (const piece of clipPolyline(line, box)) {
      for (const [x, y] of piece) assert.ok(x >= 0 && x <= 10 && y >= 0 && y <= 10, `(${x}, ${y}) outside`);
    }
  }
});

test('planDifferences: every differing setting by its path, defaults compared as values, description ignored', () => {
  const a = { name: 'default', description: 'one', reboot: true, guests: { perBoard: 16, image: 'busybox', ramp: { batch: 4, every: 1000 } }, hold: 20_000, boards: 'all' };
  const b = { name: 'default', description: 'two', reboot: false, guests: { perBoard: 8, image: 'busybox', ramp: { batch: 4, every: 1000 } }, hold: 20_000, boards: 'all', topology: 'x.yaml' };
  const diffs = planDifferences(a, b);
  assert.equal(diffs, [{ path: 'reboot', a: true, b: false }, { path: 'guests.perBoard', a: 16, b: 8 }, { path: 'topology', a: undefined, b: 'x.yaml' }]);
  assert.is(describeDifferences(diffs), 'reboot: true → false, guests.perBoard: 16 → 8, topology: (unset) → x.yaml');
  assert.equal(planDifferences(a, structuredClone(a)), []);
  assert.equal(planDifferences({ cmd: ['a', 'b'] }, { cmd: ['a', 'c'] }), [{ path: 'cmd', a: ['a', 'b'], b: ['a', 'c'] }]);
});

const pts = (list: [number, number][]) => list.map(([t, watts]) => ({ t: t * 1000, watts }));

test('desk sums leave a board out over its gap rather than drawing a line across it', () => {
  // b1 reports every second, but is silent from 10 s to 21 s; b2 reports throughout.
  const b1 = pts([...everySecond(0, 10, 2), ...everySecond(21, 30, 2)] as [number, number][]);
  const b2 = pts(everySecond(0, 30, 1) as [number, number][]);
  const grid = deskPowerSeries(new Map([['b1', b1], ['b2', b2]]), { from: 0, to: 30_000 }, 31);
  assert.equal(grid.map((g) => g.boards), [...Array(11).fill(2), ...Array(10).fill(1), ...Array(10).fill(2)]);
  assert.is(grid[15]!.watts, 1);
  // Energy: nothing over the gap (a line across it would add 2 W x 11 s = 22 J).
  assert.is(integrateSampled(b1, 0, 30_000), 2 * 10 + 2 * 9);
});

test('deskPeak: the highest sum at any sample time, exact where a grid would step over it, none from a gap', () => {
  // Two boards peaking 10 ms apart: a 1 s grid sees neither peak.
  const a = pts([[0, 1], [1.005, 9], [2, 1]]), b = pts([[0, 1], [1.015, 9], [2, 1]]);
  const boards = new Map([['a', a], ['b', b]]);
  const peak = deskPeak(boards, { from: 0, to: 2000 })!;
  assert.ok(Math.abs(peak - (9 + (1 + (8 * 1005) / 1015))) < 1e-9, `peak ${peak}`);
  assert.ok(deskPowerSeries(boards, { from: 0, to: 2000 }, 3).every((g) => g.watts < peak));
  // A reboot between a high sample and another: the straight line across the gap is not a sample of the desk.
  const gap = pts([...everySecond(0, 5, 1), [5.5, 1], ...everySecond(20, 25, 1)] as [number, number][]);
  const other = pts([[0, 1], [10, 8], [12, 1], [25, 1]]);
  assert.is(deskPeak(new Map([['g', gap], ['o', other]]), { from: 0, to: 25_000 }), 8, 'at 10 s only the other board was sampled');
  assert.is(deskPeak(new Map([['g', gap]]), { from: 30_000, to: 40_000 }), null, 'nothing sampled in the window');
  // Counts are held, not interpolated.
  const guests = pts([[0, 0], [1, 4], [2, 4], [3, 0]]);
  assert.is(deskPeak(new Map([['a', guests], ['b', guests]]), { from: 0, to: 3000 }, 'hold'), 8);
});

test.run();
