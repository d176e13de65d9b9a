/** The outlet contract against every driver's stand-in (the sim switch: test/power/sim-switch.test.ts). */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { outletContract, type Switched } from './outlet.contract.ts';
import { fakeUhubctl, HUB } from './uhubctl-fake.ts';
import { mqttDesk, shellyStandIn, tasmotaStandIn } from './support.ts';
import { openOutlet } from '../../host/power/open-outlet.ts';
import { parseOutletSpec } from '../../host/locations/outlet-spec.ts';
import { execFileRun } from '../../host/power/uhubctl.ts';
import { fileGpio } from '../../board/hal/gpio/sim.ts';
import type { GpioBinding, Level } from '../../platform/hal/gpio.ts';
import { tempDir } from '../support/temp-dir.ts';

const FAST = { offMs: 20, timeoutMs: 3000 };

outletContract('tasmota (relay 2 of 2)', async () => {
  const desk = await mqttDesk();
  const device = await tasmotaStandIn(desk.relay, 'relay-rack1', 2);
  const outlet = await openOutlet(parseOutletSpec({ driver: 'tasmota', topic: 'relay-rack1', relay: 2, ...FAST }), { mqtt: desk.host });
  return { outlet, switches: async () => device.switches[1]!, cleanup: async () => { await outlet.close(); await desk.close(); } };
}, { knowsState: true });

outletContract('tasmota (single relay: it says POWER, not POWER1)', async () => {
  const desk = await mqttDesk();
  const device = await tasmotaStandIn(desk.relay, 'plug-b03', 1);
  const outlet = await openOutlet(parseOutletSpec({ driver: 'tasmota', topic: 'plug-b03', ...FAST }), { mqtt: desk.host });
  return { outlet, switches: async () => device.switches[0]!, cleanup: async () => { await outlet.close(); await desk.close(); } };
}, { knowsState: true });

outletContract('shelly', async () => {
  const desk = await mqttDesk();
  const device = await shellyStandIn(desk.relay, 'shellyplus1pm-a8032ab12345', 0);
  const outlet = await openOutlet(parseOutletSpec({ driver: 'shelly', prefix: 'shellyplus1pm-a8032ab12345', ...FAST }), { mqtt: desk.host });
  return { outlet, switches: async () => device.switches, cleanup: async () => { await outlet.close(); await desk.close(); } };
}, { knowsState: true });

for (const activeLow of [false, true]) {
  outletContract(`gpio relay (file gpio${activeLow ? ', active low' : ''})`, async () => {
    const dir = await tempDir('deskbox-power-gpio-');
    const file = join(dir.path, 'gpio17');
    const levels: Level[] = [];
    const gpio = recording(fileGpio(dir.path), levels);
    const outlet = await openOutlet(parseOutletSpec({ driver: 'gpio', line: 17, activeLow, offMs: 20 }), { gpio });
    const onLevel: Level = activeLow ? 0 : 1;
    return {
      outlet,
      async switches() {
        // What the wire carries must be what was last written, inverted for an active-low relay.
        if (levels.length) assert(Number(await readFile(file, 'utf8')) === levels.at(-1), `${file} holds the last level written`);
        return levels.map((l): Switched => (l === onLevel ? 'on' : 'off'));
      },
      cleanup: async () => { await outlet.close(); await dir.remove(); },
    };
  }, { knowsState: true });
}

outletContract('uhubctl (fake on PATH)', async () => {
  const dir = await tempDir('deskbox-power-uhubctl-');
  const fake = await fakeUhubctl(dir.path);
  const outlet = await openOutlet(parseOutletSpec({ driver: 'uhubctl', location: HUB, port: 2, offMs: 20 }), { run: execFileRun(fake.env) });
  return {
    outlet,
    switches: async () => (await fake.args()).flatMap((a) => {
      assert(a.startsWith(`-l ${HUB} -p 2`), `uhubctl called for hub ${HUB} port 2: ${a}`);
      return a.endsWith('-a on') ? ['on' as const] : a.endsWith('-a off') ? ['off' as const] : [];
    }),
    cleanup: async () => { await outlet.close(); await dir.remove(); },
  };
}, { knowsState: true });

outletContract('manual (a person, a console)', async () => {
  const asked: string[] = [];
  const outlet = await openOutlet(parseOutletSpec({ driver: 'manual', offMs: 20 }), {
    board: 'b03',
    ask: async (m) => { asked.push(m); },
    waitForBoot: async () => undefined,
  });
  return {
    outlet,
    switches: async () => asked.map((m): Switched => (/^switch b03 on now/.test(m) ? 'on' : 'off')),
    cleanup: () => outlet.close(),
  };
}, { knowsState: false });

/** Records every level driven on an output line of `inner`. */
function recording(inner: GpioBinding, levels: Level[]): GpioBinding {
  return {
    description: inner.description,
    async open(line, direction, initial) {
      const handle = await inner.open(line, direction, initial);
      if (direction === 'out') levels.push(initial ?? 0);
      return { name: handle.name, read: () => handle.read(), close: () => handle.close(), write: async (v) => { await handle.write(v); levels.push(v); } };
    },
  };
}

function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(`expected: ${what}`);
}
