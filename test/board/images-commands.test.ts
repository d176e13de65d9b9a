/**
 * images.* end to end: a real agent on a real loopback broker installs the guest images its
 * board image carries at start, runs guests from them (which keeps them from removal), then
 * installs over HTTP from a local server, lists, removes and collects; bad URLs, bad images and bad arguments get error replies with their codes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { createAgent, type Agent } from '../../board/agent.ts';
import type { BoardConfig } from '../../board/config/board-config.ts';
import { fileGpio } from '../../board/hal/gpio/sim.ts';
import { simPowerSensor } from '../../board/hal/power/sim.ts';
import { manualClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { createScheduler } from '../../board/runtime/scheduler.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { BoardEvent } from '../../broker/contract/payloads.ts';
import type { CommandArgs, CommandOp } from '../../broker/contract/commands/index.ts';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { createRequester } from '../../host/client/request.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { buildGuestImage } from '../../images/build-guest.ts';
import { defaultBusyboxPath } from '../../images/busybox-rootfs.ts';
import { downloadImage, DownloadError } from '../../board/images/download.ts';
import { Clients, DESK, testUsers } from '../broker/support.ts';
import { flipPayloadByte, guestImage, keyPair } from '../images/store-support.ts';
import { tempDirs } from '../support/temp-dir.ts';
import { waitFor } from '../support/wait.ts';

const temps = tempDirs();
const clients = new Clients();
const clock = manualClock();
const logger = memoryLogger('board:b01');
const desk = keyPair();
let dir = '';
let broker: DeskBroker;
let agent: Agent | undefined;
let files: Server;
let filesUrl = '';

test.before(async () => {
  dir = await temps.make('deskbox-images-cmd-');
  broker = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), wsPort: null });
  await writeFile(join(dir, 'password'), 'b01-pw\n');
  // The desk computer's side of images.install: plain files over HTTP.
  files = createServer((req, res) => {
    const name = (req.url ?? '').slice(1);
    if (!/^[a-z0-9-]+\.dbi$/.test(name)) return void res.writeHead(404).end();
    createReadStream(join(dir, 'served', name)).on('error', () => res.writeHead(404).end()).pipe(res);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
});

test.after(async () => {
  await agent?.stop();
  await clients.endAll();
  await broker.close();
  files.closeAllConnections();
  await new Promise((resolve) => files.close(resolve));
  await temps.removeAll();
});

test('images.*: carried images at start, install over HTTP, ls, rm, gc, errors', async () => {
  const served = join(dir, 'served');
  await mkdir(served);
  const busybox = await buildGuestImage({ out: join(dir, 'busybox.dbi'), busybox: defaultBusyboxPath()!, arch: 'x86_64', key: desk.privateKey, logger: memoryLogger() });
  const carried = `busybox@${busybox.manifest.version}:board-image`;
  const tools1 = await guestImage(join(served, 'tools-1.dbi'), { name: 'tools', version: '1', files: { 'bin/tool': 'v1\n' }, key: desk.privateKey });
  const tools2 = await guestImage(join(served, 'tools-2.dbi'), { name: 'tools', version: '2', files: { 'bin/tool': 'v2\n' }, key: desk.privateKey });
  // Not a copy of an installed image: that one would be deduped without reading its payload.
  await copyFile(tools2.file, join(served, 'tampered.dbi'));
  await flipPayloadByte(join(served, 'tampered.dbi'), tools2.manifest.payload.size);
  await writeFile(join(dir, 'agent.mjs'), 'console.log("agent")\n');
  const slot = join(dir, 'slot-a.dbi');
  const board = await buildBoardImage({ out: slot, agent: join(dir, 'agent.mjs'), agentVersion: '0.0.1', guests: [busybox.file], type: 'sim', name: 'sim-board', version: '1', arch: 'x86_64', key: desk.privateKey });
  const bootInfo = { v: 1 as const, slot: 'a' as const, slotFile: slot, image: { name: 'sim-board', version: '1', sha256: board.manifest.payload.sha256 }, defaults: null };

  const host: MqttClient = await clients.connect(`mqtt://127.0.0.1:${broker.tcpPort}`, 'host');
  const events: BoardEvent[] = [];
  host.on('message', (topic, payload) => {
    const d = topic.endsWith('/events') ? decode('events', payload) : undefined;
    if (d?.ok) events.push(d.value);
  });
  await host.subscribeAsync(`deskbox/${DESK}/boards/b01/events`, { qos: 1 });
  const imageEvents = () => events.flatMap((e) => (e.type === 'images' ? [e] : []));

  const config: BoardConfig = {
    v: 1, desk: DESK, board: 'b01',
    broker: { url: `mqtt://127.0.0.1:${broker.tcpPort}`, username: 'b01', passwordFile: join(dir, 'password') },
    tags: [], keepaliveS: 5, telemetryPeriodS: 5, samplePeriodS: 1,
    hardware: { power: 'sim', gpio: `sim:${dir}`, gpioLines: {}, console: '', consoleBaud: 115200 },
    images: { storeDir: join(dir, 'store'), trustedKeys: [desk.publicKey.text], arch: 'x86_64', boardType: 'sim' },
    guests: {
      runtime: 'process', stateDir: join(dir, 'ram'), maxGuests: 4, maxParallel: 2, profile: 'light', stopGraceMs: 300,
      restart: { mode: 'never', maxRestarts: 0, backoffBaseMs: 10, backoffMaxMs: 10 },
    },
  };
  const gpio = fileGpio(dir);
  const sensor = simPowerSensor({ watts: 2, volts: 5, amps: 0.4 });
  agent = createAgent({
    config, password: 'b01-pw', version: '9.9.9', boot: { agentStartAt: clock.now() }, bootInfo,
    openHardware: async () => ({ power: sensor, gpio, describe: () => ({ power: 'sim', gpio: 'sim', console: 'none' }), close: () => sensor.close() }),
    clock, scheduler: createScheduler({ clock, logger, timezone: 'UTC' }), logger,
  });
  await agent.start();
  const request = createRequester(host, DESK);
  const ok = async <Op extends CommandOp>(op: Op, args?: CommandArgs<Op>) => {
    const r = await request('b01', op, args, 10_000);
    if (!r.ok) throw new Error(`${op}: ${r.error.code}: ${r.error.message}`);
    return r.result;
  };
  const fails = async (op: string, args: Record<string, unknown>, code: string, text: RegExp) => {
    const r = await request.raw('b01', op, args, 10_000);
    assert.ok(!r.ok, `${op} ${JSON.stringify(args)} should fail`);
    if (!r.ok) {
      assert.is(r.error.code, code, r.error.message);
      assert.match(r.error.message, text);
    }
  };
  const names = async () => (await ok('images.ls')).images.map((i) => `${i.name}@${i.version}:${i.origin}`);

  await waitFor(() => imageEvents().some((e) => e.installed.some((i) => i.name === 'busybox' && i.origin === 'board-image')), { timeoutMs: 5000, what: 'the carried image event' });
  assert.equal(await names(), [carried]);

  // Guests run from the store; the blob under them cannot be removed until they stop.
  assert.is((await ok('guests.start', { count: 2, image: 'busybox', waitS: 30 })).ready, 2);
  await fails('images.rm', { name: 'busybox' }, 'in-use', /running guests use this image/);
  assert.equal((await ok('images.gc')).removed, []);

  const installed = await ok('images.install', { url: `${filesUrl}/tools-1.dbi`, sha256: tools1.manifest.payload.sha256 });
  assert.equal([installed.name, installed.version, installed.sha256, installed.deduped], ['tools', '1', tools1.manifest.payload.sha256, false]);
  await waitFor(() => imageEvents().some((e) => e.installed.some((i) => i.name === 'tools' && i.origin === 'install')), { timeoutMs: 5000, what: 'an installed event' });

  await fails('images.install', { url: `${filesUrl}/tools-2.dbi`, sha256: tools1.manifest.payload.sha256 }, 'bad-image', /SHA-256 is .* was asked for/);
  await fails('images.install', { url: `${filesUrl}/tampered.dbi` }, 'bad-image', /blocks: block \d+/);
  await fails('images.install', { url: `${filesUrl}/missing.dbi` }, 'failed', /HTTP 404/);
  await fails('images.install', { url: 'ftp://127.0.0.1/x.dbi' }, 'bad-args', /scheme ftp: is not supported/);
  await fails('images.install', { url: 'not a url' }, 'bad-args', /not a URL/);
  await fails('images.install', {}, 'bad-args', /url/);
  assert.equal(await names(), [carried, 'tools@1:install'], 'refused installs changed nothing');

  // A new version takes the name; the old blob is garbage until gc.
  await ok('images.install', { url: `${filesUrl}/tools-2.dbi` });
  assert.equal(await names(), [carried, 'tools@2:install']);
  const gc = await ok('images.gc');
  assert.equal(gc.removed, [tools1.manifest.payload.sha256]);
  await waitFor(() => imageEvents().some((e) => e.collected.includes(tools1.manifest.payload.sha256)), { timeoutMs: 5000, what: 'a collected event' });
  assert.equal((await ok('images.gc')).removed, []);

  const removed = await ok('images.rm', { name: 'tools' });
  assert.equal([removed.name, removed.blobRemoved], ['tools', true]);
  await waitFor(() => imageEvents().some((e) => e.removed.includes('tools')), { timeoutMs: 5000, what: 'a removed event' });
  await fails('images.rm', { name: 'tools' }, 'bad-args', /no such image/);
  await fails('images.rm', { name: '../etc' }, 'bad-args', /name/);
  await fails('images.frobnicate', {}, 'unknown-op', /images\.frobnicate/);
  assert.equal(await names(), [carried]);
  assert.is((await ok('guests.stop', { all: true })).stopped, 2);
  assert.equal((await ok('images.rm', { name: 'busybox' })).blobRemoved, true);
  assert.equal(await names(), []);
});

test('downloads: stalls, oversize bodies and dead servers are typed errors', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/stall') return void res.writeHead(200, { 'content-length': '100' }).write('x');
    if (req.url === '/big') return void res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000));
    if (req.url === '/chunked') return void res.writeHead(200).end('y'.repeat(5000));
    res.writeHead(200, { 'content-length': '3' }).end('abc');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const failure = async (p: Promise<unknown>) => {
    const e = await p.then(() => undefined, (err: unknown) => err);
    assert.instance(e, DownloadError);
    return (e as DownloadError).failure;
  };
  const drain = async (url: string, maxBytes?: number) => {
    const { stream, size } = await downloadImage(url, { timeoutMs: 300, maxBytes });
    let n = 0;
    for await (const c of stream) n += (c as Buffer).length;
    return { size, n };
  };
  try {
    assert.equal(await drain(`${base}/ok`), { size: 3, n: 3 });
    assert.is(await failure(drain(`${base}/stall`)), 'timeout');
    assert.is(await failure(drain(`${base}/big`, 1000)), 'too-big');
    assert.is(await failure(drain(`${base}/chunked`, 1000)), 'too-big');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  assert.is(await failure(drain(`${base}/ok`)), 'network', 'nobody listens there any more');
});

test.run();
