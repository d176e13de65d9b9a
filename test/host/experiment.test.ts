import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  EnergyInputError, counterDelta, crossCheck, energyByPhase, idleWatts, integrateTrapezoid, joulesPerGuestBoot, type PowerPoint,
} from '../../host/analysis/energy.ts';
import { PercentileError, percentile, summarize } from '../../host/analysis/percentiles.ts';
import { summarizeRun, type TelemetryRow } from '../../host/analysis/summary.ts';

const near = (actual: number, expected: number, rel = 1e-3, what = '') =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1e-9, Math.abs(expected)), `${what} ${actual} not within ${rel * 100}% of ${expected}`);
const sampled = (seconds: number, watts: (s: number) => number): PowerPoint[] =>
  Array.from({ length: seconds + 1 }, (_, s) => ({ t: s * 1000, watts: watts(s) }));

test('trapezoid: constant, linear ramp and 2 + sin(t) over 300 s at 1 s', () => {
  near(integrateTrapezoid(sampled(300, () => 5)), 1500, 1e-3, 'constant');
  near(integrateTrapezoid(sampled(300, (s) => 1 + 0.01 * s)), 300 + 0.005 * 300 ** 2, 1e-3, 'ramp');
  near(integrateTrapezoid(sampled(300, (s) => 2 + Math.sin(s))), 600 + (1 - Math.cos(300)), 1e-3, 'sine');
  assert.is(integrateTrapezoid([]), 0);
  assert.is(integrateTrapezoid([{ t: 5, watts: 3 }]), 0);
});

test('trapezoid: clips to the window, interpolating at the edges, never extrapolating', () => {
  const ramp = sampled(10, (s) => s);
  near(integrateTrapezoid(ramp, 500, 1500), (1.5 ** 2 - 0.5 ** 2) / 2, 1e-9, 'inside one segment');
  near(integrateTrapezoid(ramp, 2500, 7500), (7.5 ** 2 - 2.5 ** 2) / 2, 1e-9, 'across segments');
  near(integrateTrapezoid(sampled(10, () => 2), 2500, 7500), 10, 1e-9, 'constant');
  assert.is(integrateTrapezoid(ramp, -5000, 20_000), integrateTrapezoid(ramp));
  assert.is(integrateTrapezoid(ramp, 20_000, 30_000), 0);
  assert.is(integrateTrapezoid(ramp, 3000, 3000), 0);
  assert.throws(() => integrateTrapezoid(ramp, 5000, 1000), (e: unknown) => e instanceof EnergyInputError && /starts after/.test(e.message));
});

test('trapezoid: unordered input is sorted, duplicate timestamps averaged, non-finite refused', () => {
  const pts = sampled(20, (s) => 1 + (s % 3));
  const shuffled = [...pts].reverse().sort((a, b) => ((a.t * 7919) % 13) - ((b.t * 7919) % 13));
  assert.is(integrateTrapezoid(shuffled), integrateTrapezoid(pts));
  const dup = [{ t: 0, watts: 1 }, { t: 1000, watts: 1 }, { t: 1000, watts: 3 }, { t: 2000, watts: 3 }];
  assert.is(integrateTrapezoid(dup), 1.5 + 2.5);
  assert.is(integrateTrapezoid([dup[0]!, dup[2]!, dup[1]!, dup[3]!]), 4);
  assert.throws(() => integrateTrapezoid([{ t: 0, watts: 1 }, { t: 1, watts: NaN }]), (e: unknown) => e instanceof EnergyInputError && /non-finite/.test(e.message));
});

test('energyByPhase: phases add up to the whole span, per board and overall', () => {
  const rows = ['a', 'b', 'c'].flatMap((board, k) => sampled(60, (s) => 1 + k + Math.sin(s / 3) ** 2).map((p) => ({ board, at: p.t + 250 * k, powerW: p.watts })));
  const marks = [{ name: 'boot-start', at: 0 }, { name: 'launch-start', at: 12_345 }, { name: 'hold-start', at: 33_000 }, { name: 'stop-end', at: 58_500 }];
  const phases = energyByPhase(rows, marks.slice().reverse());
  assert.equal(phases.map((p) => `${p.from}>${p.to}`), ['boot-start>launch-start', 'launch-start>hold-start', 'hold-start>stop-end']);
  const total = ['a', 'b', 'c'].reduce((s, board) => s + integrateTrapezoid(rows.filter((r) => r.board === board).map((r) => ({ t: r.at, watts: r.powerW })), 0, 58_500), 0);
  near(phases.reduce((s, p) => s + p.joules, 0), total, 1e-12, 'sum of phases');
  for (const p of phases) near(Object.values(p.byBoard).reduce((s, j) => s + j, 0), p.joules, 1e-12, 'sum of boards');
});

test('idleWatts is the median in the window; joulesPerGuestBoot subtracts the baseline', () => {
  const pts = [1, 9, 2, 3, 100, 2.5].map((watts, i) => ({ t: i * 1000, watts }));
  assert.is(idleWatts(pts, { from: 0, to: 3000 }), 2.5);
  assert.is(idleWatts(pts, { from: 1000, to: 5000 }), 3);
  assert.is(idleWatts(pts, { from: 10_000, to: 20_000 }), null);
  // 20 s of launch at 15 W over a 10 W idle desk, 50 guests: (300 J - 200 J) / 50.
  const launch = sampled(20, () => 15);
  const perBoot = joulesPerGuestBoot({ launchJoules: integrateTrapezoid(launch), idleWatts: 10, launchMs: 20_000, guestsBooted: 50 });
  near(perBoot!, 2, 1e-9, 'J per boot');
  assert.is(joulesPerGuestBoot({ launchJoules: 300, idleWatts: 10, launchMs: 20_000, guestsBooted: 0 }), null);
  assert.throws(() => joulesPerGuestBoot({ launchJoules: NaN, idleWatts: 10, launchMs: 1, guestsBooted: 1 }), (e: unknown) => e instanceof EnergyInputError);
});

test('crossCheck and counterDelta (with an agent restart)', () => {
  near(crossCheck(101, 100)!, 0.01, 1e-9);
  assert.is(crossCheck(0, 0), 0);
  assert.is(crossCheck(5, 0), null);
  assert.equal(counterDelta([{ t: 0, joules: 10 }, { t: 2, joules: 14 }, { t: 1, joules: 12 }]), { joules: 4, resets: 0 });
  assert.equal(counterDelta([{ t: 0, joules: 10 }, { t: 1, joules: 14 }, { t: 2, joules: 1 }, { t: 3, joules: 3 }]), { joules: 4 + 1 + 2, resets: 1 });
});

test('percentile is type 7 (Excel PERCENTILE.INC); summarize', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.is(percentile(hundred, 50), 50.5);
  near(percentile(hundred, 95), 95.05, 1e-12);
  near(percentile(hundred, 99), 99.01, 1e-12);
  assert.is(percentile(hundred, 0), 1);
  assert.is(percentile(hundred, 100), 100);
  assert.is(percentile([7], 99), 7);
  assert.is(percentile([1, 2], 50), 1.5);
  assert.is(percentile([1, 2, 3, 4], 25), 1.75);
  assert.throws(() => percentile([], 50), (e: unknown) => e instanceof PercentileError && /no values/.test(e.message));
  assert.throws(() => percentile([2, 1], 50), /not sorted/);
  assert.throws(() => percentile([1], 101), /within/);
  assert.is(summarize([]), null);
  assert.equal(summarize([3, 1, 2]), { count: 3, p50: 2, p95: 2.9, p99: 2.98, max: 3, mean: 2 });
});

/**
 * Three boards sampled each second for 50 s: b1 at 1 W, b2 at 2 W (its counter reads 1% high),
 * b3 at 2 W but 4 W for samples 21..29 s of the launch. Hand-worked figures are in the asserts.
 */
function threeBoardRun() {
  const T = 1_700_000_000_000, at = (s: number) => T + s * 1000;
  const power = { b1: () => 1, b2: () => 2, b3: (s: number) => (s >= 21 && s <= 29 ? 4 : 2) };
  const counterScale = { b1: 1, b2: 1.01, b3: 1 };
  const running = { b1: (s: number) => (s >= 25 ? 2 : 0), b2: (s: number) => (s >= 25 ? 2 : 0), b3: (s: number) => (s >= 35 ? 5 : s >= 25 ? 4 : 0) };
  const telemetry: TelemetryRow[] = (['b1', 'b2', 'b3'] as const).flatMap((board) => {
    let energy = 0;
    return Array.from({ length: 51 }, (_, s) => {
      if (s > 0) energy += (power[board](s - 1) + power[board](s)) / 2;
      return { board, at: at(s), powerW: power[board](s), energyJ: energy * counterScale[board], guestsRunning: running[board](s) };
    });
  });
  const boot = (board: string, ready: number) => ['power-on', 'agent-start', 'broker-connected', 'ready'].map((phase, i) => ({ board, phase, at: at(1) + (i === 3 ? ready : i * 1000) }));
  const guestBoots = [['b1', 100], ['b1', 200], ['b2', 300], ['b2', 400], ['b3', 500], ['b3', 600], ['b3', 700], ['b3', 800]]
    .map(([board, bootMs], i) => ({ board: board as string, guest: `g${i}`, bootMs: bootMs as number, at: at(25) }))
    .concat([{ board: 'b3', guest: 'late', bootMs: 900, at: at(35) }]);
  const marks = [['boot-start', 0], ['boards-ready', 10], ['launch-start', 20], ['launch-end', 30], ['hold-start', 30], ['hold-end', 40], ['stop-end', 50]]
    .map(([name, s]) => ({ name: name as string, at: at(s as number) }));
  // Like the store's counters: more than the summary names, carried over as they are.
  const counts = { malformed: 2, lostTelemetry: 3, foreign: 1 };
  return summarizeRun({
    boards: ['b1', 'b2', 'b3'], telemetry, guestBoots, marks, counts,
    bootPhases: [...boot('b1', 4000), ...boot('b2', 5000), ...boot('b3', 6000)],
  });
}

test('summarizeRun on a hand-checkable 3-board run', () => {
  const s = threeBoardRun();
  assert.equal(s.window, { from: 1_700_000_000_000, to: 1_700_000_050_000, durationMs: 50_000 });
  assert.equal(s.boards.map((b) => b.energyJ), [50, 100, 118]);
  assert.is(s.desk.energyJ, 268);
  near(s.phases.reduce((t, p) => t + p.joules, 0), 268, 1e-12, 'phases');
  assert.is(s.phases.find((p) => p.from === 'boards-ready')!.joules, 50);
  assert.equal(s.boards.map((b) => b.idleW), [1, 2, 2]);
  assert.equal(s.boards.map((b) => b.launchJ), [10, 20, 38]);
  assert.equal(s.boards.map((b) => b.joulesPerGuestBoot), [0, 0, 4.5]);
  assert.equal(s.desk.launch, { ms: 10_000, joules: 68, idleW: 5, guestsBooted: 8, boardsInBaseline: 3, joulesPerGuestBoot: 2.25 });
  assert.equal(s.boards.map((b) => b.crossCheckPct === null ? null : Math.round(b.crossCheckPct * 1000) / 1000), [0, -0.99, 0]);
  assert.is(s.boards[1]!.counterJ, 101);
  near(s.desk.crossCheckPct!, (100 * (268 - 269)) / 269, 1e-9, 'desk cross-check');
  assert.equal(s.desk.power, { peakW: 7, meanW: 5.36 });
  assert.equal(s.boards.map((b) => b.bootMs), [4000, 5000, 6000]);
  assert.equal(s.boards[0]!.bootPhaseMs, { 'power-on': 0, 'agent-start': 1000, 'broker-connected': 2000, ready: 4000 });
  assert.equal(s.desk.boardBootMs, { count: 3, p50: 5000, p95: 5900, p99: 5980, max: 6000, mean: 5000 });
  assert.equal(s.desk.guestBootMs, { count: 9, p50: 500, p95: 860, p99: 892, max: 900, mean: 500 });
  assert.equal(s.boards.map((b) => [b.guestsBooted, b.launchBoots, b.peakGuestsRunning]), [[2, 2, 2], [2, 2, 2], [5, 4, 5]]);
  assert.is(s.desk.peakGuestsRunning, 9);
  assert.is(s.desk.guestBootQuantiles.length, 101);
  assert.is(s.desk.guestBootQuantiles[50], 500);
  assert.equal(s.counts, { malformed: 2, lostTelemetry: 3, foreign: 1 });
  assert.equal(JSON.parse(JSON.stringify(s)), s, 'JSON round trip');
});

test('summarizeRun with no data: nulls, not NaN', () => {
  const s = summarizeRun({ boards: ['b1'], telemetry: [], bootPhases: [], guestBoots: [], marks: [], counts: { malformed: 0, lostTelemetry: 0 } });
  assert.is(s.window, null);
  assert.is(s.desk.energyJ, 0);
  assert.is(s.desk.guestBootMs, null);
  assert.is(s.desk.launch, null);
  assert.is(s.boards[0]!.samples, 0);
  assert.equal(JSON.parse(JSON.stringify(s)), s);
});

test.run();
