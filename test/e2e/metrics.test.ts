/**
 * `deskbox metrics` as a user runs it next to a simulated desk: Prometheus figures for every
 * board over HTTP, Home Assistant discovery configs retained on the broker, a clean stop, and
 * nothing left running once the desk is down.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import mqtt from 'mqtt';
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

  // Read as Home Assistant would, with the monitor's credentials: retained configs for every board.
  const watcher = await mqtt.connectAsync(up.broker.url!, { username: 'monitor', password: up.monitor.password, protocolVersion: 4, reconnectPeriod: 0 });
  try {
    const configs = new Map<string, { device: { name: string }; state_topic: string }>();
    watcher.on('message', (topic, payload, packet) => {
      if (packet.retain && payload.length > 0) configs.set(topic, JSON.parse(payload.toString()));
    });
    await watcher.subscribeAsync('homeassistant/#', { qos: 1 });
    await waitFor(() => configs.size === BOARDS.length * 4, { timeoutMs: 20_000, what: 'four configs per board' });
    assert.equal([...new Set([...configs.values()].map((c) => c.device.name))].sort(), BOARDS.map((b) => `${up.desk} ${b}`));
    // Three sensors read the board's telemetry, its health sensor the desk's verdict on it.
    const sources = [...configs.values()].map((c) => c.state_topic.split('/').slice(0, 3).join('/'));
    assert.is(sources.filter((s) => s === `deskbox/${up.desk}/boards`).length, BOARDS.length * 3);
    assert.is(sources.filter((s) => s === `deskbox/${up.desk}/health`).length, BOARDS.length);
  } finally {
    await watcher.endAsync();
  }

  metrics.kill('SIGTERM');
  assert.is(await exited, 0, `metrics stopped cleanly: ${stderr}`);
  await desk.down();
  assert.equal(await processesMentioning(state), []);
}));

test.run();
