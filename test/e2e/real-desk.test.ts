/**
 * A real desk from its desk file, tried on a simulated desk described as one: consoles by
 * stable links laid out like /dev/serial/by-path (and one by USB serial number, through
 * serialport's own port list fed by a stand-in `udevadm` that prints what udev prints), power
 * through the `sim` driver, and every kind of breakage `desk check` and `desk discover` must
 * name without writing anything.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { spawn } from 'node:child_process';
import { Desk } from '../support/desk.ts';
import { DESKBOX_CLI, deskbox, runDeskbox } from '../support/deskbox.ts';
import { waitFor } from '../support/wait.ts';

const BOARDS = ['b01', 'b02', 'b03', 'b04', 'b05'];
/** Which USB port each board's adapter is on: not in board order, as on a real desk. */
const USB_PORT: Record<string, string> = { b01: '1.4', b02: '1.1', b03: '1.5', b04: '1.2', b05: '1.3' };
const byPathName = (b: string) => `platform-deskbox-usb-0:${USB_PORT[b]}:1.0-port0`;

let desk: Desk;
let env: NodeJS.ProcessEnv;
let devDir: string;
let described: string;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-realdesk-');
  await desk.up({ boards: BOARDS.length, tags: { rack2: 'b04,b05' } });
  devDir = join(desk.state, 'fake-dev', 'serial');
  const bin = join(desk.state, 'fake-bin');
  await mkdir(join(devDir, 'by-path'), { recursive: true });
  await mkdir(bin, { recursive: true });
  for (const b of BOARDS) await symlink(join(desk.state, 'boards', b, 'console', 'port'), join(devDir, 'by-path', byPathName(b)));
  // `udevadm info -e` as udev prints it for FTDI adapters (only the fields serialport reads, and a few it skips).
  const db = BOARDS.map((b, i) => [
    `P: /devices/pci0000:00/0000:00:14.0/usb1/1-${USB_PORT[b]}/1-${USB_PORT[b]}:1.0/ttyUSB${i}/tty/ttyUSB${i}`, `N: ttyUSB${i}`,
    `S: serial/by-path/${byPathName(b)}`, `E: DEVNAME=${join(devDir, 'by-path', byPathName(b))}`, 'E: SUBSYSTEM=tty',
    'E: ID_VENDOR_ENC=FTDI', 'E: ID_VENDOR_ID=0403', 'E: ID_MODEL_ID=6001', `E: ID_SERIAL_SHORT=DSK${String(i + 1).padStart(4, '0')}`, '',
  ].join('\n')).join('\n');
  await writeFile(join(bin, 'udevadm.db'), `P: /devices/virtual/tty/console\nN: console\nE: DEVNAME=/dev/console\n\n${db}`);
  await writeFile(join(bin, 'udevadm'), `#!/bin/sh\n[ "$1 $2" = "info -e" ] || { echo "fake udevadm: only info -e" >&2; exit 2; }\ncat "${join(bin, 'udevadm.db')}"\n`);
  await chmod(join(bin, 'udevadm'), 0o755);
  env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  described = (await deskbox(['desk', 'describe', '--state', desk.state])).stdout;
});
test.after(async () => { await desk.close(); });

/** The described desk file with `edit` applied to its document, written to `name`. */
async function deskFile(name: string, edit: (doc: ReturnType<typeof parseDocument>) => void = () => undefined): Promise<string> {
  const doc = parseDocument(described);
  edit(doc);
  const file = join(desk.state, name);
  await writeFile(file, doc.toString());
  return file;
}

const check = (file: string, ...more: string[]) => runDeskbox(['desk', 'check', '--desk-file', file, '--state', desk.state, '--dev-dir', devDir, '--json', ...more], { env, timeoutMs: 60_000 });
const allOnline = () => waitFor(async () => {
  const boards = JSON.parse((await deskbox(['boards', '--state', desk.state, '--json'])).stdout).boards as { state: string }[];
  return boards.every((b) => b.state === 'online');
}, { timeoutMs: 30_000, what: 'every board online' });

test('desk check: every console answers as its own board (one found by USB serial number), every outlet answers; commands run from the desk file', () => desk.withLogs(async () => {
  const file = await deskFile('desk.yaml', (doc) => doc.setIn(['boards', 'b02', 'console'], doc.createNode({ serial: 'DSK0002' })));
  const r = await check(file);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const out = JSON.parse(r.stdout) as { ok: boolean; boards: Array<{ board: string; answer: { kind: string; board: string }; outletState: string; console: string; problems: string[] }> };
  assert.equal(out.boards.map((b) => [b.board, b.answer.kind, b.answer.board, b.outletState, b.problems]), BOARDS.map((b) => [b, 'agent', b, 'on', []]));
  assert.is(out.boards[1]!.console, join(devDir, 'by-path', byPathName('b02')), 'serial number DSK0002 resolved to its adapter\'s stable path');

  // The desk file is the desk for every other command: broker, boards, tags.
  const boards = JSON.parse((await deskbox(['boards', '--desk-file', file, '--json'])).stdout).boards as { board: string; state: string }[];
  assert.equal(boards.map((b) => [b.board, b.state]), BOARDS.map((b) => [b, 'online']));
  const ran = JSON.parse((await deskbox(['exec', '--desk-file', file, '--json', 'tag:rack2', '--', 'echo', 'hi'])).stdout);
  assert.equal(JSON.stringify(ran).match(/b0\d/g)?.sort().filter((x, i, a) => a.indexOf(x) === i), ['b04', 'b05']);
  // Flash by the desk file: consoles from it, one board at a time behind their hub, logs kept per board.
  const hubbed = await deskFile('hubbed.yaml', (doc) => {
    doc.setIn(['hubs'], doc.createNode({ 'hub-a': { parallel: 1 } }));
    for (const b of ['b01', 'b02']) doc.setIn(['boards', b, 'console', 'hub'], 'hub-a');
  });
  const flashed = JSON.parse((await deskbox(['flash', '--desk-file', hubbed, '--state', desk.state, '--boards', 'b01,b02', '--image', join(desk.state, 'images', 'board.dbi'), '--json'], 120_000)).stdout) as { ok: boolean; results: Array<{ label: string; ok: boolean; consoleLog: string }> };
  assert.ok(flashed.ok, JSON.stringify(flashed));
  assert.equal(flashed.results.map((x) => [x.label, x.consoleLog]), ['b01', 'b02'].map((b) => [b, join(desk.state, 'consoles', `${b}.log`)]));
  const cycled = JSON.parse((await deskbox(['desk', 'power', 'b05', 'cycle', '--desk-file', file, '--state', desk.state, '--json'])).stdout);
  assert.equal(cycled.results.map((r: { board: string; outlet: string; state: string }) => [r.board, r.outlet, r.state]), [['b05', 'sim switch b05', 'on']]);
  await allOnline();
}));

test('desk check and discover name every fault (a silent console, an outlet that never answers, two boards on one console) and write nothing', () => desk.withLogs(async () => {
  const file = await deskFile('broken.yaml', (doc) => {
    doc.setIn(['boards', 'b02', 'console', 'path'], join(desk.state, 'boards', 'b01', 'console', 'port'));
    doc.setIn(['boards', 'b04', 'power'], doc.createNode({ driver: 'tasmota', topic: 'nobody-home', timeoutMs: 500 }));
  });
  await deskbox(['desk', 'link', 'b03', '--unplug', '--state', desk.state]);
  try {
    const r = await check(file, '--timeout', '3');
    assert.is(r.code, 1, r.stdout);
    const rows = Object.fromEntries((JSON.parse(r.stdout).boards as Array<{ board: string; problems: string[] }>).map((b) => [b.board, b.problems.join('; ')]));
    assert.match(rows.b01!, /b01 and b02 both claim/);
    assert.match(rows.b02!, /b01 and b02 both claim/);
    assert.match(rows.b03!, /console: no answer/);
    assert.match(rows.b04!, /power: tasmota nobody-home.*no answer/i);
    assert.is(rows.b05, '');
    const table = await runDeskbox(['desk', 'check', '--desk-file', file, '--state', desk.state, '--timeout', '3'], { env, timeoutMs: 60_000 });
    assert.is(table.code, 1);
    assert.match(table.stdout, /4 of 5 boards failed: b01, b02, b03, b04/);
  } finally {
    await deskbox(['desk', 'link', 'b03', '--plug', '--state', desk.state]);
  }
  const before = await readFile(file, 'utf8');
  const d = await runDeskbox(['desk', 'discover', '--desk-file', file, '--dev-dir', devDir, '--state', desk.state, '--boot-timeout', '10', '--json'], { env, timeoutMs: 120_000 });
  assert.is(d.code, 1, d.stdout + d.stderr);
  const found = JSON.parse(d.stdout) as { problems: string[]; written: boolean };
  assert.ok(found.problems.some((p) => /b04: cannot switch/.test(p)), found.problems.join('\n'));
  assert.is(found.written, false);
  assert.is(await readFile(file, 'utf8'), before, 'the desk file is as it was');
  await allOnline();
}));

test('desk consoles: an adapter unplugged and plugged back is reopened and its log notes the gap; one missing at the start is waited for, the others logged', () => desk.withLogs(async () => {
  const late = join(devDir, 'by-path', 'platform-deskbox-usb-0:2.1:1.0-port0');
  const file = await deskFile('consoles.yaml', (doc) => doc.setIn(['boards', 'b02', 'console', 'path'], late));
  const child = spawn(process.execPath, [DESKBOX_CLI, 'desk', 'consoles', '--desk-file', file, '--state', desk.state, '--boards', 'b01,b02', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const events = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { board: string; kind: string; gapMs?: number });
  const saw = (board: string, kind: string) => events().some((e) => e.board === board && e.kind === kind);
  const log = (b: string) => readFile(join(desk.state, 'consoles', `${b}.log`), 'utf8').catch(() => '');
  try {
    await waitFor(() => saw('b01', 'open') && saw('b02', 'missing'), { timeoutMs: 10_000, what: 'b01 open, b02 missing' });
    await deskbox(['desk', 'link', 'b01', '--unplug-adapter', '--state', desk.state]);
    await waitFor(() => saw('b01', 'gone'), { timeoutMs: 10_000, what: 'b01 gone' });
    await deskbox(['desk', 'link', 'b01', '--plug-adapter', '--state', desk.state]);
    await waitFor(() => saw('b01', 'back'), { timeoutMs: 10_000, what: 'b01 back' });
    await symlink(join(desk.state, 'boards', 'b02', 'console', 'port'), late);
    await waitFor(() => saw('b02', 'open'), { timeoutMs: 10_000, what: 'b02 open once its adapter appears' });
    // What the board prints after the replug reaches the log: a power cycle's boot.
    await deskbox(['desk', 'power', 'b01', 'cycle', '--state', desk.state]);
    await waitFor(async () => /console back after [\d.]+ s[^]*U-Boot/.test(await log('b01')), { timeoutMs: 20_000, what: 'b01 boot logged after the gap line' });
    assert.match(await log('b01'), /console gone: /);
    assert.match(await log('b02'), /missing/);
  } finally {
    child.kill('SIGINT');
    await rm(late, { force: true });
  }
  assert.is(await exited, 0);
  await allOnline();
}));

test('desk discover: switches one outlet at a time, finds each board\'s console by its boot banner and writes the stable paths', () => desk.withLogs(async () => {
  const file = await deskFile('discover.yaml', (doc) => { for (const b of BOARDS) doc.deleteIn(['boards', b, 'console']); });
  const d = await runDeskbox(['desk', 'discover', '--desk-file', file, '--dev-dir', devDir, '--state', desk.state, '--boot-timeout', '10', '--json'], { env, timeoutMs: 120_000 });
  assert.is(d.code, 0, d.stdout + d.stderr);
  const out = JSON.parse(d.stdout) as { adapters: Array<{ serialNumber?: string; vendorId?: string }>; found: Record<string, string>; written: boolean };
  assert.equal(out.adapters.map((a) => [a.vendorId, a.serialNumber]).sort(), BOARDS.map((_, i) => ['0403', `DSK${String(i + 1).padStart(4, '0')}`]));
  assert.equal(out.found, Object.fromEntries(BOARDS.map((b) => [b, join(devDir, 'by-path', byPathName(b))])));
  assert.ok(out.written);
  await allOnline();
  const r = await check(file);
  assert.is(r.code, 0, r.stdout);
}));

test.run();
