/** Outlets that do not answer or cannot work: a PowerError saying which outlet and what to do. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValiError } from 'valibot';
import { mqttDesk } from './support.ts';
import { fakeUhubctl } from './uhubctl-fake.ts';
import { openOutlet } from '../../host/power/open-outlet.ts';
import { parseOutletSpec } from '../../host/locations/outlet-spec.ts';
import { PowerError } from '../../host/power/outlet.ts';
import { execFileRun, portStatus } from '../../host/power/uhubctl.ts';
import { withTempDir } from '../support/temp-dir.ts';

const rejection = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);

for (const raw of [
  { driver: 'tasmota', topic: 'nobody-home', relay: 3, timeoutMs: 150 },
  { driver: 'shelly', prefix: 'shellyplus1-000000000000', timeoutMs: 150 },
]) {
  test(`${raw.driver}: an outlet nobody answers is 'no-answer', naming it, within the timeout`, async () => {
    const desk = await mqttDesk();
    const outlet = await openOutlet(parseOutletSpec(raw), { mqtt: desk.host });
    try {
      for (const op of [() => outlet.on(), () => outlet.off(), () => outlet.state()]) {
        const started = Date.now();
        const e = await rejection(op());
        assert.instance(e, PowerError);
        assert.is((e as PowerError).code, 'no-answer');
        assert.is((e as PowerError).outlet, outlet.description);
        assert.ok((e as PowerError).message.startsWith(`${outlet.description}: no answer`), (e as Error).message);
        assert.match((e as Error).message, 'within 150 ms');
        assert.ok(Date.now() - started < 2000, 'gave up near the timeout');
      }
    } finally {
      await outlet.close();
      await desk.close();
    }
  });
}

test('uhubctl missing from PATH is a config error saying how to install it', () =>
  withTempDir('deskbox-power-', async (dir) => {
    const outlet = await openOutlet(parseOutletSpec({ driver: 'uhubctl', location: '1-1.4', port: 2 }), { run: execFileRun({ PATH: dir }) });
    const e = await rejection(outlet.on());
    assert.instance(e, PowerError);
    assert.is((e as PowerError).code, 'config');
    assert.match((e as Error).message, 'apt install uhubctl');
  }));

test("uhubctl exiting 1 is 'failed' with its stderr", () =>
  withTempDir('deskbox-power-', async (dir) => {
    const fake = await fakeUhubctl(dir);
    const outlet = await openOutlet(parseOutletSpec({ driver: 'uhubctl', location: '3-9', port: 1 }), { run: execFileRun(fake.env) });
    for (const op of [() => outlet.off(), () => outlet.state()]) {
      const e = await rejection(op());
      assert.instance(e, PowerError);
      assert.is((e as PowerError).code, 'failed');
      assert.match((e as Error).message, 'uhubctl hub 3-9 port 1: uhubctl -l 3-9 -p 1');
      assert.match((e as Error).message, 'exited 1: No compatible devices detected at location 3-9!');
    }
  }));

test("uhubctl's listing: our hub's port only, and the newest listing of it", () => {
  const listing = [
    'Current status for hub 2-1.4 [2109:0813 VIA Labs, Inc. USB3.0 Hub, USB 3.00, 4 ports, ppps]',
    '  Port 2: 02a0 power Rx.Detect',
    'Current status for hub 1-1.4 [2109:2813 VIA Labs, Inc. USB2.0 Hub, USB 2.10, 4 ports, ppps]',
    '  Port 1: 0503 power highspeed enable connect [0483:3748 STMicroelectronics STM32 STLink]',
    '  Port 2: 0100 power',
    'Sent power off request',
    'New status for hub 1-1.4 [2109:2813 VIA Labs, Inc. USB2.0 Hub, USB 2.10, 4 ports, ppps]',
    '  Port 2: 0000 off',
  ].join('\n');
  assert.equal(portStatus(listing, '1-1.4', 2), ['off']);
  assert.equal(portStatus(listing, '1-1.4', 1), ['power', 'highspeed', 'enable', 'connect']);
  assert.equal(portStatus(listing, '2-1.4', 2), ['power', 'Rx.Detect']);
  assert.is(portStatus(listing, '1-1.4', 3), undefined);
});

test('a spec with an unknown driver is a valibot error naming it', () => {
  const e = (() => { try { parseOutletSpec({ driver: 'x10', board: 'b03' }); } catch (err) { return err; } })();
  assert.instance(e, ValiError);
  assert.match((e as Error).message, 'unknown power driver "x10"');
});

test('specs get their defaults; topics that would reach the desk tree are refused', () => {
  assert.equal(parseOutletSpec({ driver: 'tasmota', topic: 'plug' }), { driver: 'tasmota', topic: 'plug', relay: 1, timeoutMs: 5000, offMs: 2000 });
  assert.equal(parseOutletSpec({ driver: 'gpio', line: 529 }), { driver: 'gpio', line: 529, activeLow: false, offMs: 2000 });
  for (const topic of ['deskbox', 'a/b', '+', '$SYS']) assert.throws(() => parseOutletSpec({ driver: 'tasmota', topic }), (e: unknown) => e instanceof ValiError, topic);
});

test("a driver's missing dependency is a config error saying what it needs", async () => {
  const e = await rejection(openOutlet(parseOutletSpec({ driver: 'shelly', prefix: 'shellyplus1-a' }), { board: 'b03' }));
  assert.instance(e, PowerError);
  assert.is((e as PowerError).code, 'config');
  assert.match((e as Error).message, 'shelly outlet of b03: needs an MQTT client');
  const m = await rejection(openOutlet(parseOutletSpec({ driver: 'manual' }), {}));
  assert.is((m as PowerError).code, 'config');
});

test.run();
