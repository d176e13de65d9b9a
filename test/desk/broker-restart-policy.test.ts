/** When the desk restarts its broker, and on which ports: the pure parts of broker-keeper.ts. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCrashWindow } from '../../host/desk/crash-window.ts';
import { wantedPorts } from '../../host/desk/broker-ports.ts';
import type { DeskFile } from '../../host/locations/desk-file.ts';

test('crash window: the limit is reached by that many crashes within the window, not by crashes spread wider', () => {
  const w = createCrashWindow(3, 10_000);
  assert.equal([w.record(0), w.record(4_000)], [false, false]);
  assert.is(w.record(9_999), true, 'the third within 10 s');
  const spread = createCrashWindow(3, 10_000);
  assert.equal([0, 6_000, 12_000, 18_000, 24_000].map((t) => spread.record(t)), [false, false, false, false, false], 'never three within 10 s');
  assert.is(createCrashWindow(1, 1).record(5), true, 'a limit of one gives up at the first crash');
  assert.throws(() => createCrashWindow(0, 1000), /integer >= 1/);
});

const desk = (port: number, wsPort: number | null) => ({ broker: { host: '127.0.0.1', port, wsPort } }) as DeskFile;

test('ports: explicit ports are demanded; else the stored ones (which may move if taken); else any', () => {
  assert.equal(wantedPorts(desk(1883, 8083), { tcpPort: 40001, wsPort: 40002 }), { tcp: { port: 1883, stored: false }, ws: { port: 8083, stored: false } });
  assert.equal(wantedPorts(desk(0, 0), { tcpPort: 40001, wsPort: 40002 }), { tcp: { port: 40001, stored: true }, ws: { port: 40002, stored: true } });
  assert.equal(wantedPorts(desk(0, 0), {}), { tcp: { port: 0, stored: false }, ws: { port: 0, stored: false } });
  assert.equal(wantedPorts(desk(1883, null), { tcpPort: 40001, wsPort: 40002 }), { tcp: { port: 1883, stored: false }, ws: null }, 'no WebSocket listener stays none');
  assert.equal(wantedPorts(desk(0, 8083), { tcpPort: 40001 }), { tcp: { port: 40001, stored: true }, ws: { port: 8083, stored: false } });
});

test.run();
