/** When the desk restarts its broker, and on which ports: the pure parts of broker-keeper.ts. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCrashWindow } from '../../host/desk/crash-window.ts';
import { otherNodePorts, wantedPorts } from '../../host/desk/broker-ports.ts';
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

type Broker = DeskFile['broker'];
const desk = (broker: Partial<Broker>) => ({ broker: { host: '127.0.0.1', port: 0, wsPort: 0, tlsPort: 0, wssPort: 0, plain: false, ...broker } }) as DeskFile;
const any = { port: 0, stored: false };
const stored = (port: number) => ({ port, stored: true });
const demanded = (port: number) => ({ port, stored: false });

test('ports: explicit ports are demanded; else the stored ones (which may move if taken); else any', () => {
  const kept = { tcpPort: 40001, wsPort: 40002, tlsPort: 40003, wssPort: 40004 };
  assert.equal(wantedPorts(desk({ port: 1883, wsPort: 8083, tlsPort: 8883, wssPort: 8084 }), kept), { tcp: demanded(1883), ws: demanded(8083), tls: demanded(8883), wss: demanded(8084) });
  assert.equal(wantedPorts(desk({}), kept), { tcp: stored(40001), ws: stored(40002), tls: stored(40003), wss: stored(40004) });
  assert.equal(wantedPorts(desk({}), {}), { tcp: any, ws: any, tls: any, wss: any });
  assert.equal(wantedPorts(desk({ port: 1883, wsPort: null, wssPort: null }), kept), { tcp: demanded(1883), ws: null, tls: stored(40003), wss: null }, 'no WebSocket listener stays none');
  assert.equal(wantedPorts(desk({ wsPort: 8083 }), { tcpPort: 40001 }), { tcp: stored(40001), ws: demanded(8083), tls: any, wss: any });
});

test('ports: beyond loopback no plain listener, unless asked for', () => {
  const kept = { tcpPort: 40001, wsPort: 40002, tlsPort: 40003, wssPort: 40004 };
  assert.equal(wantedPorts(desk({ host: '0.0.0.0' }), kept), { tcp: null, ws: null, tls: stored(40003), wss: stored(40004) });
  assert.equal(wantedPorts(desk({ host: '192.0.2.7', port: 1883 }), {}), { tcp: null, ws: null, tls: any, wss: any }, 'an explicit plain port does not open it');
  assert.equal(wantedPorts(desk({ host: '0.0.0.0', plain: true }), kept), { tcp: stored(40001), ws: stored(40002), tls: stored(40003), wss: stored(40004) });
  assert.equal(wantedPorts(desk({ host: '::1' }), {}), { tcp: any, ws: any, tls: any, wss: any }, 'IPv6 loopback keeps them');
});

test('a cluster\'s other nodes: node 0\'s listeners on free ports, no plain one where node 0 has none', () => {
  assert.equal(otherNodePorts(desk({ port: 1883 })), { tcpPort: 0, wsPort: 0, tlsPort: 0, wssPort: 0 });
  assert.equal(otherNodePorts(desk({ host: '0.0.0.0' })), { tcpPort: null, wsPort: null, tlsPort: 0, wssPort: 0 });
  assert.equal(otherNodePorts(desk({ wsPort: null, wssPort: null })), { tcpPort: 0, wsPort: null, tlsPort: 0, wssPort: null });
});

test.run();
