/**
 * What a U-Boot flash keeps of its line: the bytes it wrote (what crossed the line, not the
 * image size) and everything the board printed, into a console log per port that survives it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { observeLink } from '../../host/flash/observed-link.ts';
import { openConsoleLogs, portConsoleLogPath } from '../../host/flash/console-log.ts';
import { memoryLine } from '../images/lossy-line.ts';
import { tempDir } from '../support/temp-dir.ts';

const tick = () => new Promise((r) => setImmediate(r));

test('observeLink: counts every byte written; the output once per chunk however many listen', async () => {
  const line = memoryLine(() => 0.5);
  const printed: string[] = [];
  const link = observeLink(line.b, (c) => printed.push(c.toString()));
  await link.write('loady 0x40200000\r');
  await link.write(Buffer.alloc(1029));
  assert.is(link.written, 17 + 1029);
  const heard: string[] = [];
  const offA = link.onData((c) => heard.push(`a:${c}`));
  const offB = link.onData((c) => heard.push(`b:${c}`));
  await line.a.write('C');
  await tick();
  assert.equal(heard, ['a:C', 'b:C']);
  assert.equal(printed, ['C']);
  offA();
  offB();
  // Nobody listening: the link holds the bytes for the next listener, and they reach the output then.
  await line.a.write('=> ');
  await tick();
  assert.equal(printed, ['C']);
  const later: string[] = [];
  const offC = link.onData((c) => later.push(c.toString()));
  await tick();
  assert.equal(later, ['=> ']);
  assert.equal(printed, ['C', '=> ']);
  offC();
});

test('console logs: one file per port under <state>/consoles, appended to by each flash', async () => {
  const { path: state, remove: removeState } = await tempDir('deskbox-console-log-');
  try {
    assert.is(portConsoleLogPath(state, '/dev/ttyUSB3'), join(state, 'consoles', 'dev_ttyUSB3.log'));
    assert.is(portConsoleLogPath(state, '/dev/serial/by-id/usb-FTDI_FT232R:if00'), join(state, 'consoles', 'dev_serial_by-id_usb-FTDI_FT232R_if00.log'));
    const file = portConsoleLogPath(state, '/dev/pts/7');
    for (const text of ['U-Boot 2023.01\r\n', '=> ']) {
      const logs = openConsoleLogs();
      logs.write(file, Buffer.from(text));
      await logs.close();
    }
    assert.is(await readFile(file, 'utf8'), 'U-Boot 2023.01\r\n=> ');
  } finally {
    await removeState();
  }
});

test.run();
