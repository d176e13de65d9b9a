import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeskYamlError, loadDeskYaml, parseDeskYaml } from '../../host/locations/desk-yaml.ts';
import { realDeskAccess } from '../../host/client/access.ts';
import { listAdapters } from '../../host/real-desk/adapters.ts';
import { resolveConsoles } from '../../host/real-desk/console-paths.ts';
import { writeConsolePaths } from '../../host/real-desk/desk-yaml-write.ts';
import { withTempDir } from '../support/temp-dir.ts';

const DESK = `# the lab desk
v: 1
desk: lab1
broker:
  url: mqtts://deskpc:8883
  ca: tls/ca.pem
  passwordFiles: {host: secrets/host.password}
hubs:
  hub-a: {parallel: 2}
boards:
  b01:
    tags: [rack1]
    console: {path: serial/by-path/usb-0:1.1-port0, hub: hub-a}
    power: {driver: tasmota, topic: relay-rack1, relay: 2}
  b02:
    console: {serial: FT0002}   # found through serialport's list
    power: {driver: manual}
  b03:
    power: {driver: uhubctl, location: "1-1.4", port: 3}
`;

function problems(text: string): string[] {
  try {
    parseDeskYaml(text, 'desk.yaml');
  } catch (e) {
    assert.instance(e, DeskYamlError);
    return [...(e as DeskYamlError).problems];
  }
  assert.unreachable('accepted');
  return [];
}

test('desk file: defaults filled, paths made relative to the file, tags and hubs kept', () => {
  const desk = parseDeskYaml(DESK, '/lab/desk.yaml');
  assert.is(desk.desk, 'lab1');
  assert.is(desk.broker.ca, '/lab/tls/ca.pem');
  assert.equal(desk.broker.passwordFiles, { host: '/lab/secrets/host.password' });
  assert.equal(desk.boards.b01!.console, { path: '/lab/serial/by-path/usb-0:1.1-port0', hub: 'hub-a', baud: 115200 });
  assert.equal(desk.boards.b01!.tags, ['rack1']);
  assert.equal(desk.boards.b02!.console, { serial: 'FT0002', baud: 115200 });
  assert.is(desk.boards.b03!.console, undefined);
  assert.equal(desk.hubs, { 'hub-a': { parallel: 2 } });
});

test('a broker cluster: its nodes as a list, every command trying them in turn; an empty or bad list refused', async () => {
  const desk = parseDeskYaml(DESK.replace('url: mqtts://deskpc:8883', 'url: [mqtts://deskpc:8883, mqtts://deskpc2:8883]\n  ws: [wss://deskpc:8084/mqtt, wss://deskpc2:8084/mqtt]'), '/lab/desk.yaml');
  process.env.DESKBOX_PASSWORD = 'pw';
  try {
    const access = await realDeskAccess({ ...desk, broker: { ...desk.broker, passwordFiles: {} } }, 'host');
    assert.is(access.url, 'mqtts://deskpc:8883');
    assert.equal(access.urls, ['mqtts://deskpc:8883', 'mqtts://deskpc2:8883']);
  } finally {
    delete process.env.DESKBOX_PASSWORD;
  }
  assert.match(problems(DESK.replace('url: mqtts://deskpc:8883', 'url: []')).join('\n'), /broker\.url/);
  assert.match(problems(DESK.replace('url: mqtts://deskpc:8883', 'url: [mqtts://a:8883, http://b]')).join('\n'), /broker\.url.*mqtt/);
});

test('the example desk file under plans/ loads', async () => {
  const desk = await loadDeskYaml(new URL('../../plans/real-desk.example.yaml', import.meta.url).pathname);
  assert.equal(Object.keys(desk.boards), ['b01', 'b02', 'b03', 'b04']);
  assert.equal(desk.boards.b04!.power, { driver: 'uhubctl', location: '1-1.4', port: 2, offMs: 2000 });
  assert.match(desk.boards.b01!.uboot!, /\/plans\/profiles\/bbb\.json$/);
});

test('desk file: every problem at once, each with its field', () => {
  const found = problems(DESK
    .replace('relay: 2', 'relay: 2, colour: red')
    .replace('{serial: FT0002}', '{serial: FT0002, path: /dev/ttyUSB1}')
    .replace('driver: manual', 'driver: x10')
    .replace('url: mqtts://deskpc:8883', 'url: http://deskpc'));
  const text = found.join('\n');
  assert.match(text, /broker\.url: .*mqtt/);
  assert.match(text, /boards\.b02\.console: give exactly one of path or serial/);
  assert.match(text, /boards\.b02\.power.*unknown power driver "?x10/);
  assert.ok(found.length >= 3, text);
  assert.match(problems(DESK.replace('hub: hub-a', 'hub: hub-b')).join('\n'), /boards\.b01\.console\.hub: no hub "hub-b"/);
  assert.match(problems('- a\n- b\n').join('\n'), /is a list/);
  assert.match(problems('v: 1\ndesk: d\nbroker: {url: "mqtt://x"}\nboards: {b01: {}}\nboards: {b02: {}}\n').join('\n'), /YAML/);
});

test('consoles: stable links followed, serial numbers through the port list, two boards on one device refused for both', () => withTempDir('deskbox-consoles-', async (dir) => {
  const byPath = join(dir, 'serial', 'by-path');
  const byId = join(dir, 'serial', 'by-id');
  await mkdir(byPath, { recursive: true });
  await mkdir(byId, { recursive: true });
  for (const n of ['ttyUSB0', 'ttyUSB1', 'ttyUSB2']) await writeFile(join(dir, n), '');
  await symlink(join(dir, 'ttyUSB0'), join(byPath, 'usb-0:1.1-port0'));
  await symlink(join(dir, 'ttyUSB1'), join(byPath, 'usb-0:1.2-port0'));
  await symlink(join(dir, 'ttyUSB1'), join(byId, 'usb-FTDI_FT232R_FT0002-if00-port0'));
  const sources = { devDir: join(dir, 'serial'), list: async () => [{ path: join(dir, 'ttyUSB1'), serialNumber: 'FT0002', vendorId: '0403', productId: '6001', manufacturer: 'FTDI' }, { path: join(dir, 'ttyUSB2'), serialNumber: 'CP0003' }] };
  const { adapters } = await listAdapters(sources);
  assert.equal(adapters.map((a) => [a.device, a.byPath !== undefined, a.serialNumber]), [[join(dir, 'ttyUSB0'), true, undefined], [join(dir, 'ttyUSB1'), true, 'FT0002'], [join(dir, 'ttyUSB2'), false, 'CP0003']]);
  const failing = await listAdapters({ ...sources, list: async () => { throw new Error('spawn udevadm ENOENT'); } });
  assert.match(failing.listProblem!, /apt install udev/);
  assert.is(failing.adapters.length, 2, 'the links are listed all the same');

  const desk = parseDeskYaml(DESK, join(dir, 'desk.yaml'));
  const consoles = await resolveConsoles(desk, async () => adapters);
  assert.equal(consoles.map((c) => [c.board, c.device, c.problem]), [
    ['b01', join(dir, 'ttyUSB0'), undefined],
    ['b02', join(dir, 'ttyUSB1'), undefined],
    ['b03', undefined, 'no console in the desk file (deskbox desk discover finds it)'],
  ]);
  assert.is(consoles[1]!.path, join(byPath, 'usb-0:1.2-port0'), 'a serial number resolves to the adapter\'s stable path');

  const clash = parseDeskYaml(DESK.replace('{serial: FT0002}', '{path: serial/by-id/usb-FTDI_FT232R_FT0002-if00-port0}').replace('serial/by-path/usb-0:1.1-port0', 'serial/by-path/usb-0:1.2-port0'), join(dir, 'desk.yaml'));
  const clashing = await resolveConsoles(clash, async () => adapters);
  for (const c of clashing.slice(0, 2)) assert.match(c.problem!, new RegExp(`b01 and b02 both claim ${join(dir, 'ttyUSB1')}`));
  const gone = await resolveConsoles(parseDeskYaml(DESK.replace('usb-0:1.1-port0', 'usb-0:1.9-port0').replace('FT0002', 'FT9999'), join(dir, 'desk.yaml')), async () => adapters);
  assert.match(gone[0]!.problem!, /not there \(adapter unplugged/);
  assert.match(gone[1]!.problem!, /no USB serial adapter with serial number FT9999 \(seen: FT0002, CP0003\)/);
}));

test('writing consoles: comments and other fields stay; a result that would not load leaves the file as it was', () => withTempDir('deskbox-deskwrite-', async (dir) => {
  const file = join(dir, 'desk.yaml');
  await writeFile(file, DESK);
  await writeConsolePaths(file, { b02: '/dev/serial/by-path/usb-0:1.2-port0', b03: '/dev/serial/by-path/usb-0:1.3-port0' });
  const text = await readFile(file, 'utf8');
  assert.match(text, /# the lab desk/);
  assert.match(text, /# found through serialport's list/);
  const desk = await loadDeskYaml(file);
  assert.equal(desk.boards.b02!.console, { path: '/dev/serial/by-path/usb-0:1.2-port0', baud: 115200 });
  assert.equal(desk.boards.b03!.console, { path: '/dev/serial/by-path/usb-0:1.3-port0', baud: 115200 });
  assert.equal(desk.boards.b01!.power, { driver: 'tasmota', topic: 'relay-rack1', relay: 2, timeoutMs: 5000, offMs: 2000 });
  try {
    await writeConsolePaths(file, { b09: '/dev/ttyUSB9' });
    assert.unreachable('wrote a board that is not there');
  } catch (e) {
    assert.match((e as Error).message, /no board b09/);
  }
  assert.is(await readFile(file, 'utf8'), text);
}));

test.run();
