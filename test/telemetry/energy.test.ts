import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EnergyMeter } from '../../board/telemetry/energy.ts';

test('trapezoid integration of P(t) = 1 + 0.5 sin t matches the analytic energy within 0.1%', () => {
  const meter = new EnergyMeter();
  const T = 60; // seconds
  const stepMs = 100;
  for (let ms = 0; ms <= T * 1000; ms += stepMs) meter.add(1 + 0.5 * Math.sin(ms / 1000), ms);
  const exact = T + 0.5 * (1 - Math.cos(T));
  const rel = Math.abs(meter.joules - exact) / exact;
  assert.ok(rel < 0.001, `got ${meter.joules} J, exact ${exact} J (rel err ${rel})`);
});

test('uneven sample spacing, as a busy scheduler gives, stays within 0.1%', () => {
  const meter = new EnergyMeter();
  let seed = 42;
  const jitter = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let ms = 0;
  let lastMs = 0;
  while (ms < 30_000) {
    meter.add(1 + 0.5 * Math.sin(ms / 1000), ms);
    lastMs = ms;
    ms += 50 + 150 * jitter();
  }
  const T = lastMs / 1000;
  const exact = T + 0.5 * (1 - Math.cos(T));
  const rel = Math.abs(meter.joules - exact) / exact;
  assert.ok(rel < 0.001, `got ${meter.joules} J, exact ${exact} J (rel err ${rel})`);
});

test('a steady load is exact; the first sample adds nothing; startJoules carries over', () => {
  const meter = new EnergyMeter(100);
  assert.is(meter.lastWatts, undefined);
  meter.add(2, 5000);
  assert.is(meter.joules, 100);
  assert.is(meter.lastWatts, 2);
  meter.add(2, 15_000);
  assert.is(meter.joules, 120);
});

test('a clock that goes back starts a new segment instead of subtracting energy', () => {
  const meter = new EnergyMeter();
  meter.add(1, 10_000);
  meter.add(1, 11_000);
  meter.add(1, 500);
  meter.add(3, 1500);
  assert.is(meter.joules, 1 + 2);
  meter.add(3, 1500);
  assert.is(meter.joules, 3, 'a repeated timestamp adds nothing');
});

test('non-finite samples are refused', () => {
  const meter = new EnergyMeter();
  assert.throws(() => meter.add(Number.NaN, 0), RangeError);
  assert.throws(() => meter.add(1, Number.POSITIVE_INFINITY), RangeError);
  assert.throws(() => new EnergyMeter(Number.NaN), RangeError);
});

test.run();
