/**
 * `deskbox metrics` as a user runs it next to a simulated desk: Prometheus figures for every
 * board over HTTP, Home Assistant discovery configs retained on the broker, a clean stop, and
 * nothing left running once the desk is down.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import mqtt from 'mqtt';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '../support/wait.ts';
import { parseExposition, type Exposition } from '../host/exposition.ts';
import { DESKBOX_CLI, processesMentioning } from '../support/deskbox.ts';
import { Desk } from '../support/desk.ts';

const BOARDS = ['b01', 'b02', 'b03'];
let desk: Desk;
let child: ChildProcess | undefined;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-metrics-');
});

test.after(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await desk.close();
});

/** The JSON the command printed once listening, when all of it has arrived. */
function printed(stdout: string): { url: string } | undefined {
  try {
    return JSON.parse(stdout) as { url: string };
  } catch {
    return undefined;
  }
}

test('metrics of every board over HTTP, Home Assistant configs on the broker, a clean stop', () => desk.withLogs(async () => {
  const state = desk.state;
  const up = await desk.up({ boards: BOARDS.length });

  const metrics = spawn(process.execPath, [DESKBOX_CLI, 'metrics', '--state', state, '--port', '0', '--json', '--home-assistant'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = metrics;
  let stdout = '';
  let stderr = '';
  metrics.stdout.on('data', (d: Buffer) => { stdout += d; });
  metrics.stderr.on('data', (d: Buffer) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => metrics.once('exit', resolve));
  await waitFor(() => printed(stdout) !== undefined || metrics.exitCode !== null, { timeoutMs: 10_000, what: 'the metrics URL' });
  const url = printed(stdout)?.url;
  assert.ok(url, `no URL printed: ${stdout} ${stderr}`);

  let scrape: Exposition | undefined;
  const allPowered = () => BOARDS.every((board) => scrape?.value('deskbox_board_up', { board }) === 1
    && (scrape.value('deskbox_board_power_watts', { board }) ?? 0) > 0 && (scrape.value('deskbox_board_energy_joules_total', { board }) ?? 0) > 0);
  await waitFor(async () => {
    scrape = parseExposition(await (await fetch(url)).text());
    return allPowered();
  }, { timeoutMs: 15_000, what: 'three boards up, drawing power, energy counted' }).catch((err: Error) => { throw new Error(`${err.message}; stderr: ${stderr}`); });
  assert.is(scrape!.value('deskbox_boards', { state: 'online' }), BOARDS.length);
  assert.ok(scrape!.value('deskbox_desk_power_watts')! > 0);

  // Read as Home Assistant would, with its own user, announcing itself with a birth and a will:
  // retained configs for the desk device and every board, and the desk summary they read.
  const haPassword = (await readFile(join(state, 'credentials', 'homeassistant.password'), 'utf8')).trim();
  const watcher = await mqtt.connectAsync(up.broker.url!, {
    username: 'homeassistant', password: haPassword, protocolVersion: 4, reconnectPeriod: 0, ca: await readFile(up.broker.caFile),
    will: { topic: 'homeassistant/status', payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  try {
    await watcher.publishAsync('homeassistant/status', 'online', { qos: 1, retain: true });
    const configs = new Map<string, { device: { name: string; via_device?: string; identifiers: string[] }; state_topic?: string; command_topic?: string }>();
    let summary: { online: number; boards: number; powerW: number } | undefined;
    watcher.on('message', (topic, payload, packet) => {
      if (topic === `deskbox/${up.desk}/summary`) summary = JSON.parse(payload.toString());
      else if (packet.retain && payload.length > 0 && topic.endsWith('/config')) configs.set(topic, JSON.parse(payload.toString()));
    });
    await watcher.subscribeAsync(['homeassistant/#', `deskbox/${up.desk}/summary`], { qos: 1 });
    await waitFor(() => configs.size === BOARDS.length * 7 + 3, { timeoutMs: 20_000, what: 'seven configs per board and three for the desk' });
    assert.equal([...new Set([...configs.values()].map((c) => c.device.name))].sort(), [...BOARDS.map((b) => `${up.desk} ${b}`), `deskbox ${up.desk}`].sort());
    const deskDevice = [...configs.values()].find((c) => c.device.name === `deskbox ${up.desk}`)!.device.identifiers[0];
    assert.ok([...configs.values()].every((c) => c.device.via_device === undefined || c.device.via_device === deskDevice), 'every board hangs off the desk device');
    // Per board: three sensors and the connectivity one read the board's topics, the health sensor the desk's
    // verdict; the reboot and identify buttons press on the board's topics.
    const sources = [...configs.values()].map((c) => (c.state_topic ?? c.command_topic ?? '').split('/').slice(0, 3).join('/'));
    assert.is(sources.filter((s) => s === `deskbox/${up.desk}/boards`).length, BOARDS.length * 6);
    assert.is(sources.filter((s) => s === `deskbox/${up.desk}/health`).length, BOARDS.length);
    assert.is(sources.filter((s) => s === `deskbox/${up.desk}/summary`).length, 3);
    await waitFor(() => summary?.online === BOARDS.length, { timeoutMs: 20_000, what: 'the desk summary with every board online' });
    assert.ok(summary!.powerW > 0 && summary!.boards === BOARDS.length);
  } finally {
    await watcher.endAsync();
  }

  metrics.kill('SIGTERM');
  assert.is(await exited, 0, `metrics stopped cleanly: ${stderr}`);
  await desk.down();
  assert.equal(await processesMentioning(state), []);
}));

test.run();
