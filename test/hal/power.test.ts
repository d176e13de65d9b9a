import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { powerContract } from './power.contract.ts';
import { simPowerSensor } from '../../board/hal/power/sim.ts';
import { findHwmonSensor, openHwmonSensor } from '../../board/hal/power/hwmon.ts';
import { createHwmonWriter } from '../../host/desk/power-model.ts';
import { HalError } from '../../platform/hal/errors.ts';
import { tempDir } from '../support/temp-dir.ts';

powerContract('sim', async () => {
  const sensor = simPowerSensor();
  return { sensor, set: async (r) => sensor.set(r), cleanup: () => sensor.close() };
});

// The same writer and directory layout the simulated desk uses.
powerContract('hwmon', async () => {
  const { path: root, remove: removeRoot } = await tempDir('deskbox-hwmon-');
  const writer = createHwmonWriter(join(root, 'hwmon0'));
  writer.write({ watts: 1, volts: 5, amps: 0.2 });
  const sensor = await openHwmonSensor(writer.dir);
  return {
    sensor,
    set: async (r) => writer.write(r),
    cleanup: async () => { await sensor.close(); await removeRoot(); },
  };
});

async function withTemp(fn: (root: string) => Promise<void>): Promise<void> {
  const { path: root, remove: removeRoot } = await tempDir('deskbox-hwmon-');
  try {
    await fn(root);
  } finally {
    await removeRoot();
  }
}

async function rejection(p: Promise<unknown>): Promise<HalError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  assert.instance(e, HalError, 'expected a HalError');
  return e as HalError;
}

test('hwmon: opening a directory without the ina2xx files names what is missing', () => withTemp(async (root) => {
  await writeFile(join(root, 'name'), 'coretemp\n');
  await writeFile(join(root, 'in1_input'), '5000\n');
  const e = await rejection(openHwmonSensor(root));
  assert.is(e.op, 'open');
  assert.is(e.path, root);
  assert.match(e.message, /missing power1_input, curr1_input/);
}));

test('hwmon: opening a directory that does not exist is a HalError, not a crash', async () => {
  const e = await rejection(openHwmonSensor('/nonexistent/hwmon9'));
  assert.match(e.message, /missing power1_input/);
});

test('hwmon: a garbled or vanished attribute fails that read only; the sensor recovers', () => withTemp(async (root) => {
  const writer = createHwmonWriter(root);
  writer.write({ watts: 1.5, volts: 5, amps: 0.3 });
  const sensor = await openHwmonSensor(root);
  await writeFile(join(root, 'curr1_input'), 'garbage\n');
  const e = await rejection(sensor.read());
  assert.is(e.path, join(root, 'curr1_input'));
  assert.match(e.message, /garbled value "garbage\\n"/);
  await writeFile(join(root, 'power1_input'), '');
  // Two bad files: the error names the first in file order, every time.
  assert.match((await rejection(sensor.read())).message, /power1_input: garbled value ""/);
  await writeFile(join(root, 'power1_input'), '1500000\n');
  await rm(join(root, 'in1_input'));
  const gone = await rejection(sensor.read());
  assert.is(gone.code, 'ENOENT');
  assert.is(gone.path, join(root, 'in1_input'));
  // The desk's power loop rewrites every file now and then (a full write), and so repairs them.
  writer.write({ watts: 2, volts: 5, amps: 0.4 }, { full: true });
  assert.equal(await sensor.read(), { watts: 2, volts: 5, amps: 0.4 });
  await sensor.close();
}));

test('hwmon: find picks the first ina2xx in hwmonN order and ignores other chips', () => withTemp(async (root) => {
  const chip = async (entry: string, name: string) => {
    await mkdir(join(root, entry));
    await writeFile(join(root, entry, 'name'), `${name}\n`);
  };
  await chip('hwmon0', 'coretemp');
  await chip('hwmon10', 'ina219');
  await chip('hwmon2', 'ina226');
  await mkdir(join(root, 'hwmon1')); // no name file at all
  assert.is(await findHwmonSensor(root), join(root, 'hwmon2'));
  assert.is(await findHwmonSensor(root, ['ina219']), join(root, 'hwmon10'));
  assert.is(await findHwmonSensor(root, ['ina238']), undefined);
}));

test('hwmon: find on a kernel without hwmon gives undefined', async () => {
  assert.is(await findHwmonSensor('/nonexistent/hwmon'), undefined);
});

test.run();
