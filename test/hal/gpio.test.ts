import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gpioContract } from './gpio.contract.ts';
import { fileGpio } from '../../board/hal/gpio/sim.ts';
import { onoffGpio } from '../../board/hal/gpio/onoff.ts';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { HalError } from '../../platform/hal/errors.ts';
import { tempDir } from '../support/temp-dir.ts';

gpioContract('file (sim)', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-gpio-');
  return {
    binding: fileGpio(dir),
    lines: ['led', 'power-en'],
    badLine: '../escape',
    // The desk drives inputs the way the binding writes outputs: atomically.
    drive: (line, v) => writeFileAtomic(join(dir, line), `${v}\n`),
    cleanup: () => removeDir(),
  };
}, { drives: true });

const { Gpio } = await import('onoff');
if (Gpio.accessible) {
  // On a real board: DESKBOX_TEST_GPIO='{"a":17,"b":27}' names two free lines to exercise.
  const map = JSON.parse(process.env.DESKBOX_TEST_GPIO ?? '{}') as Record<string, number>;
  const names = Object.keys(map);
  if (names.length < 2) throw new Error('GPIO is accessible: set DESKBOX_TEST_GPIO to two free lines to run the onoff contract');
  gpioContract('onoff', async () => ({
    binding: await onoffGpio(map),
    lines: [names[0]!, names[1]!],
    badLine: 'no-such-line',
    cleanup: async () => undefined,
  }), { drives: false });
} else {
  // At exit, so it stands after uvu's totals where nobody can miss it.
  process.once('exit', () => console.log('  NOT RUN: gpio contract against onoff: this kernel has no GPIO (Gpio.accessible is false); not counted as passed.'));
}

test('onoff: on a kernel without GPIO, opening the binding is a clear HalError', async () => {
  if (Gpio.accessible) return;
  const e = await onoffGpio({ led: 17 }).then(() => undefined, (err: unknown) => err);
  assert.instance(e, HalError);
  assert.match((e as HalError).message, /no GPIO on this kernel/);
});

test('file gpio: outputs are whole files a watcher can read; no temp files left behind', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-gpio-');
  try {
    const led = await fileGpio(join(dir, 'lines')).open('led', 'out', 1);
    assert.is(await readFile(join(dir, 'lines', 'led'), 'utf8'), '1\n');
    for (let i = 0; i < 50; i++) await led.write((i % 2) as 0 | 1);
    assert.is(await readFile(join(dir, 'lines', 'led'), 'utf8'), '1\n');
    assert.equal(await readdir(join(dir, 'lines')), ['led']);
    await led.close();
  } finally {
    await removeDir();
  }
});

test('file gpio: an input keeps what the desk already drives; a garbled file is a HalError', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-gpio-');
  try {
    await writeFile(join(dir, 'button'), '1\n');
    const button = await fileGpio(dir).open('button', 'in', 0);
    assert.is(await button.read(), 1);
    await writeFile(join(dir, 'button'), 'x');
    const e = await button.read().then(() => undefined, (err: unknown) => err);
    assert.instance(e, HalError);
    assert.match((e as HalError).message, /garbled value "x"/);
    await button.close();
  } finally {
    await removeDir();
  }
});

test.run();
