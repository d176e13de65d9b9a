import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCpuSampler, createHwmonWriter, modelPower } from '../../host/desk/power-model.ts';
import { openHwmonSensor } from '../../board/hal/power/hwmon.ts';
import { tempDir } from '../support/temp-dir.ts';

test('model: idle board draws ~1 W at 5 V, consistently W = V * A', () => {
  const r = modelPower({ cpuFraction: 0 });
  assert.is(r.watts, 1.0);
  assert.is(r.volts, 5.0);
  assert.ok(Math.abs(r.amps - 0.2) < 1e-12);
});

test('model: rises with load and is capped at the single core\'s full load', () => {
  const w = [0, 0.01, 0.05, 0.1, 0.5, 2].map((cpuFraction) => modelPower({ cpuFraction }).watts);
  for (let i = 1; i < w.length; i++) assert.ok(w[i]! >= w[i - 1]!, `not monotonic: ${w}`);
  assert.ok(w[1]! > w[0]!);
  assert.ok(Math.abs(w[3]! - 2.2) < 1e-12, '10% of a host core is a fully loaded Cortex-A8');
  assert.is(w[5], w[3], 'capped');
});

test('model: pure, parameters honoured, nonsense CPU figures read as idle', () => {
  const input = { cpuFraction: 0.03, idleWatts: 0.8, loadWatts: 2, slowdown: 20, volts: 12 };
  const frozen = Object.freeze({ ...input });
  const a = modelPower(frozen);
  assert.equal(modelPower(frozen), a);
  assert.ok(Math.abs(a.watts - 2.0) < 1e-12);
  assert.ok(Math.abs(a.amps - 2.0 / 12) < 1e-12);
  for (const cpuFraction of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.is(modelPower({ cpuFraction }).watts, 1.0, String(cpuFraction));
  }
});

test('writer: kernel-style integer files that parse back through the hwmon binding', async () => {
  const { path: root, remove: removeRoot } = await tempDir('deskbox-model-');
  try {
    const writer = createHwmonWriter(join(root, 'b01', 'hwmon'));
    const r = modelPower({ cpuFraction: 0.037 });
    writer.write(r);
    assert.is(await readFile(join(writer.dir, 'name'), 'utf8'), 'ina219\n');
    assert.is(await readFile(join(writer.dir, 'power1_input'), 'utf8'), `${Math.round(r.watts * 1e6)}\n`);
    assert.is(await readFile(join(writer.dir, 'in1_input'), 'utf8'), '5000\n');
    assert.equal((await readdir(writer.dir)).sort(), ['curr1_input', 'in1_input', 'name', 'power1_input']);
    const sensor = await openHwmonSensor(writer.dir);
    assert.match(sensor.description, /ina219/);
    const back = await sensor.read();
    assert.ok(Math.abs(back.watts - r.watts) <= 0.5e-6, `${back.watts} vs ${r.watts}`);
    assert.ok(Math.abs(back.volts - r.volts) <= 0.5e-3);
    assert.ok(Math.abs(back.amps - r.amps) <= 0.5e-3);
    await sensor.close();
  } finally {
    await removeRoot();
  }
});

test('writer: an unchanged value is not rewritten; a full write brings back a garbled or removed file', async () => {
  const { path: root, remove: removeRoot } = await tempDir('deskbox-model-');
  try {
    const writer = createHwmonWriter(join(root, 'hwmon'));
    const file = (f: string) => join(writer.dir, f);
    writer.write(modelPower({ cpuFraction: 0 }));
    const volts = (await stat(file('in1_input'))).ino;
    const power = (await stat(file('power1_input'))).ino;
    writer.write(modelPower({ cpuFraction: 0.05 }));
    assert.is((await stat(file('in1_input'))).ino, volts, 'the unchanged voltage file was left alone');
    assert.is.not((await stat(file('power1_input'))).ino, power, 'the changed power file was replaced');
    assert.is(await readFile(file('power1_input'), 'utf8'), '1600000\n');

    await writeFile(file('in1_input'), 'garbage');
    await rm(file('curr1_input'));
    writer.write(modelPower({ cpuFraction: 0.05 }));
    assert.is(await readFile(file('in1_input'), 'utf8'), 'garbage', 'a plain write trusts what it wrote last');
    writer.write(modelPower({ cpuFraction: 0.05 }), { full: true });
    assert.is(await readFile(file('in1_input'), 'utf8'), '5000\n');
    assert.is(await readFile(file('curr1_input'), 'utf8'), '320\n');
  } finally {
    await removeRoot();
  }
});

test('cpu sampler: first sample is 0, a busy process shows its load, a gone process is a clear error', async () => {
  const sampler = createCpuSampler(process.pid);
  assert.is(await sampler.sample(), 0);
  // Node's own accounting over the same span is the reference, whatever else loads the machine.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let x = 0;
  while (performance.now() < t0 + 400) x += Math.sqrt(x + 1); // busy on purpose, to be measured
  const busy = await sampler.sample();
  const used = process.cpuUsage(cpu0);
  const expected = (used.user + used.system) / 1000 / (performance.now() - t0);
  assert.ok(expected > 0.05, `the busy loop got ${expected} of a core`);
  // /proc counts in 10 ms ticks: over 400 ms that is a few percent either way.
  assert.ok(Math.abs(busy - expected) < 0.1, `sampler ${busy}, process.cpuUsage ${expected}`);
  const gone = createCpuSampler(2 ** 22 + 1); // above pid_max's ceiling: never a live pid
  const e = await gone.sample().then(() => undefined, (err: Error) => err);
  assert.match(e?.message ?? '', /cpu sampler: cannot read \/proc\/4194305\/stat/);
});

test.run();
