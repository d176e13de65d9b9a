/**
 * A simulated desk over TLS, through the built CLI, checked by clients that are not deskbox:
 * mosquitto_sub with the desk's CA reads a board's retained status over mqtts, mosquitto_sub
 * trusting only the system's CAs and mqtt.js with its defaults are refused for the certificate,
 * `deskbox --broker mqtts:// --ca` works and says in one line what is wrong without `--ca`. Then
 * a desk on this machine's own non-loopback address (when it has one; reached only from here):
 * TLS only, no plain listener, and its dashboard over HTTPS whose page reaches the broker over wss
 * in Chromium (started with --ignore-certificate-errors: its trust store cannot be given the CA).
 *   node --import tsx node_modules/uvu/bin.js test/e2e 'tls.test.ts$'
 */
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';
import { certificateProblem } from '../../platform/tls-errors.ts';
import { Desk } from '../support/desk.ts';
import { deskbox, runDeskbox } from '../support/deskbox.ts';
import { runProgram } from '../support/run-program.ts';
import { findChromium } from '../support/chromium.ts';

const ownAddress = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;
let desk: Desk;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-tls-');
});

test.after(() => desk.close());

const password = (role: string) => readFile(join(desk.state, 'credentials', `${role}.password`), 'utf8').then((p) => p.trim());
const port = (url: string | null) => new URL(url!).port;

test('outside clients: mosquitto_sub with the desk CA reads a retained status; without it, refused', () => desk.withLogs(async () => {
  const up = await desk.up({ boards: 2 });
  const { caFile, mqtts } = up.broker;
  const sub = (...tlsArgs: string[]) => runProgram('mosquitto_sub', ['-h', '127.0.0.1', '-p', port(mqtts), ...tlsArgs, '-u', 'monitor', '-P', up.monitor.password,
    '-t', 'deskbox/desk1/boards/b01/status', '-C', '1', '-W', '10'], { timeoutMs: 15_000 });

  const read = await sub('--cafile', caFile);
  assert.is(read.code, 0, read.stderr);
  assert.match(read.stdout, /"state":"online","board":"b01"/);

  const untrusted = await sub('--capath', '/etc/ssl/certs');
  assert.is.not(untrusted.code, 0);
  assert.match(untrusted.stderr, /TLS error|certificate verify failed/);
  assert.not.match(untrusted.stdout, /b01/);

  const refused = await mqtt.connectAsync(mqtts!, { username: 'monitor', password: up.monitor.password, protocolVersion: 4, reconnectPeriod: 0 }).then(
    async (c) => { await c.endAsync(); return undefined; }, (e: unknown) => e);
  assert.ok(certificateProblem(refused), `mqtt.js without the CA: refused for the certificate, got ${String(refused)}`);
}));

test('deskbox --broker mqtts:// with --ca; without it, one line saying why', () => desk.withLogs(async () => {
  const { mqtts, caFile } = desk.last!.broker;
  const args = ['boards', '--broker', mqtts!, '--user', 'monitor', '--password-file', join(desk.state, 'credentials', 'monitor.password'), '--json'];
  const boards = JSON.parse((await deskbox([...args, '--ca', caFile])).stdout) as { boards: { board: string; state: string }[] };
  assert.equal(boards.boards.map((b) => `${b.board} ${b.state}`), ['b01 online', 'b02 online']);
  const without = await runDeskbox(args.filter((a) => a !== '--json'));
  assert.is(without.code, 1);
  assert.is(without.stderr.trim().split('\n').length, 1, without.stderr);
  assert.match(without.stderr, /^deskbox: the desk broker at mqtts:\/\/127\.0\.0\.1:\d+ presented a certificate that does not verify against the system's CAs .*--ca <file>.*: unable to verify/);
  await desk.down();
}));

test('beyond loopback: TLS only, and an HTTPS dashboard whose page watches the desk over wss', () => desk.withLogs(async () => {
  if (!ownAddress) return void process.once('exit', () => console.log('  NOT RUN: TLS beyond loopback (desk, dashboard over HTTPS/wss): this machine has no non-loopback IPv4 address; not counted as passed.'));
  const up = await desk.up({ boards: 2, args: ['--host', ownAddress] });
  assert.equal([up.broker.url, up.broker.ws], [null, null], 'no plain listener');
  assert.match(up.broker.mqtts ?? '', new RegExp(`^mqtts://${ownAddress.replaceAll('.', '\\.')}:\\d+$`));
  const run = JSON.parse(await readFile(join(desk.state, 'run.json'), 'utf8'));
  assert.equal([run.tcpPort, run.wsPort], [null, null]);
  assert.match(up.dashboard ?? '', /^https:\/\//);
  const boards = JSON.parse((await deskbox(['boards', '--state', desk.state, '--json'])).stdout) as { boards: { state: string }[] };
  assert.ok(boards.boards.every((b) => b.state === 'online'), 'host commands reach it over mqtts');

  const browser = await chromium.launch({ executablePath: findChromium(), args: ['--headless', '--no-sandbox', '--ignore-certificate-errors'] });
  try {
    const page = await browser.newPage();
    await page.goto(up.dashboard!);
    const config = await page.evaluate(async () => (await (await fetch('/config.json')).json()) as { wsUrls: string[] });
    assert.equal(config.wsUrls, [`wss://${ownAddress}:${port(up.broker.wss)}/mqtt`], 'the page gets the wss URL at the address it came from');
    await page.getByLabel('username').fill('monitor');
    await page.getByLabel('password').fill(await password('monitor'));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.tile[data-state="online"]').length === 2, null, { timeout: 15_000 });
  } finally {
    await browser.close();
  }
  await desk.down();
}));

test.run();
