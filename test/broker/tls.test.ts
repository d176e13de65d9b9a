/**
 * The desk broker over TLS, with a desk CA and certificate made as `desk up` makes them: mqtt.js
 * connects over mqtts and wss with the CA and is refused (a certificate error) without it; the
 * listener plan keeps plain listeners to loopback unless asked; failed logins over TLS back off
 * per source address as over TCP.
 *   node --import tsx node_modules/uvu/bin.js test/broker 'tls.test.ts$'
 */
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { networkInterfaces } from 'node:os';
import { connect as connectTls } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MqttClient } from 'mqtt';
import { memoryLogger } from '../../platform/log.ts';
import { certificateProblem } from '../../platform/tls-errors.ts';
import { BrokerConfigError, isLoopback, planListeners } from '../../broker/listener-plan.ts';
import { createDeskBroker } from '../../broker/server.ts';
import { sourceAddress } from '../../broker/source-address.ts';
import { ensureTls } from '../../host/tls/ensure-tls.ts';
import { tlsFiles } from '../../host/locations/tls-files.ts';
import { tempDir } from '../support/temp-dir.ts';
import { Clients, testUsers } from './support.ts';

/** This machine's own non-loopback IPv4 address, if it has one: a broker "beyond loopback" that only this machine's tests reach. */
const ownAddress = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;
const dir = await tempDir('deskbox-broker-tls-');
const files = tlsFiles(dir.path);
// The desk's names plus the address above, as `desk up --host <it>` would issue them.
await ensureTls(files, { host: ownAddress ?? '127.0.0.1', label: 'deskbox test' });
const [cert, key, ca] = await Promise.all([readFile(files.serverCert), readFile(files.serverKey), readFile(files.caCert)]);
const clients = new Clients();

test.after.each(() => clients.endAll());
test.after(() => dir.remove());

test('listener plan: plain listeners on loopback always, beyond it only when asked; TLS wherever there is a certificate', () => {
  for (const host of ['127.0.0.1', '127.8.9.1', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost']) assert.ok(isLoopback(host), host);
  for (const host of ['0.0.0.0', '::', '192.0.2.2', 'fd00::2', 'desk-pc']) assert.not.ok(isLoopback(host), host);
  const all = { tcp: 0, ws: 0, tls: 0, wss: 0 };
  assert.equal(planListeners({ host: '127.0.0.1', tls: {} }), all);
  assert.equal(planListeners({ host: '0.0.0.0', port: 1883, tls: { port: 8883 } }), { tcp: null, ws: null, tls: 8883, wss: 0 });
  assert.equal(planListeners({ host: '0.0.0.0', plainBeyondLoopback: true, tls: {} }), all);
  assert.equal(planListeners({ host: '127.0.0.1' }), { tcp: 0, ws: 0, tls: null, wss: null }, 'no certificate: no TLS');
  assert.throws(() => planListeners({ host: '0.0.0.0' }), (e: unknown) => e instanceof BrokerConfigError && /needs a TLS certificate/.test(e.message));
});

test('mqtts and wss with the desk CA connect (from the source address the throttle keys); without it, a certificate error', async () => {
  const broker = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), tls: { cert, key } });
  const seen: string[] = [];
  broker.broker.on('client', (client) => seen.push(sourceAddress(client)));
  try {
    assert.ok(broker.tcpPort !== null && broker.wsPort !== null, 'on loopback the plain listeners stay');
    assert.ok((await clients.connect(`mqtts://127.0.0.1:${broker.tlsPort}`, 'monitor', { ca })).connected);
    assert.ok((await clients.connect(`wss://127.0.0.1:${broker.wssPort}/mqtt`, 'monitor', { ca })).connected);
    assert.equal(seen, ['127.0.0.1', '127.0.0.1']);
    for (const url of [`mqtts://127.0.0.1:${broker.tlsPort}`, `wss://127.0.0.1:${broker.wssPort}/mqtt`]) {
      // mqtt.js' default: verify against the system's CAs, which know nothing of the desk's.
      const refused = await clients.connect(url, 'monitor').then(() => undefined, (e: unknown) => e);
      assert.ok(certificateProblem(refused), `${url}: refused for its certificate, got ${String(refused)}`);
    }
    assert.equal(seen.length, 2, 'the refused ones never reached the broker as clients');
  } finally {
    await broker.close();
  }
});

test('a broker beyond loopback listens on TLS only, unless plain listeners are asked for', async () => {
  if (!ownAddress) return void process.once('exit', () => console.log('  NOT RUN: a TLS-only broker on a non-loopback address: this machine has none (only the listener plan was checked); not counted as passed.'));
  const tlsOnly = await createDeskBroker({ host: ownAddress, users: await testUsers(), logger: memoryLogger('broker'), tls: { cert, key } });
  try {
    assert.equal([tlsOnly.tcpPort, tlsOnly.wsPort], [null, null]);
    assert.ok((await clients.connect(`mqtts://${ownAddress}:${tlsOnly.tlsPort}`, 'monitor', { ca })).connected, 'its certificate covers the address');
  } finally {
    await tlsOnly.close();
  }
  const asked = await createDeskBroker({ host: ownAddress, plainBeyondLoopback: true, users: await testUsers(), logger: memoryLogger('broker'), tls: { cert, key } });
  try {
    assert.ok((await clients.connect(`mqtt://${ownAddress}:${asked.tcpPort}`, 'monitor')).connected);
  } finally {
    await asked.close();
  }
});

/** One MQTT login over TLS from `localAddress`; resolves with its CONNACK code (0 accepted). */
function tlsLogin(port: number, localAddress: string, username: string, password: string): Promise<number> {
  const tcp = () => createConnection({ host: '127.0.0.1', port, localAddress });
  const client = new MqttClient(() => connectTls({ socket: tcp(), host: '127.0.0.1', ca }), { protocolVersion: 4, reconnectPeriod: 0, username, password, clientId: `tls-${username}-${Math.random()}` });
  return new Promise((resolve) => {
    const done = (code: number) => client.end(true, () => resolve(code));
    client.once('connect', () => done(0));
    client.once('error', (err: Error & { code?: unknown }) => done(typeof err.code === 'number' ? err.code : -1));
  });
}

test('failed logins over TLS close their source address, and only theirs', async () => {
  const loginBackoff = { freeFailures: 1, baseMs: 60_000, maxMs: 60_000, holdMaxMs: 0, forgetAfterMs: 600_000 };
  const broker = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), loginBackoff, tls: { cert, key } });
  try {
    const port = broker.tlsPort!;
    // Another name each time: only the address gathers failures.
    assert.is(await tlsLogin(port, '127.0.0.2', 'host', 'wrong'), 4, 'the free failure');
    assert.is(await tlsLogin(port, '127.0.0.2', 'b01', 'wrong'), 4, 'checked; closes 127.0.0.2');
    assert.is(await tlsLogin(port, '127.0.0.2', 'b02', 'wrong'), 3, 'refused unchecked: the address is closed');
    assert.is(await tlsLogin(port, '127.0.0.2', 'monitor', 'monitor-pw'), 3, 'even a right password not verified before');
    assert.is(await tlsLogin(port, '127.0.0.3', 'monitor', 'monitor-pw'), 0, 'another address logs in at once');
  } finally {
    await broker.close();
  }
});

test.run();
