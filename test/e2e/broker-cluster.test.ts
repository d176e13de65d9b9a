/**
 * End to end, through the built CLI: a desk with two broker nodes on a redis-server
 * (`desk up --broker-nodes 2`), three boards publishing QoS 1 telemetry. Node 0, which holds
 * the persistent subscriber and two of the three boards, is SIGKILLed: its boards are on node 1
 * within 1.5 x their keepalive, the subscriber's session (kept in Redis) loses no sample, the
 * retained statuses still say every board is online, `deskbox boards` answers, the dashboard in
 * Chromium is live again with every board online (its page holds every node's URL), and /metrics
 * still counts them. Then the redis-server is SIGKILLed: the desk restarts it on its port with
 * its append-only file and telemetry flows again through both nodes. `desk down` leaves nothing
 * running (redis-server and Chromium included).
 *   npm run build && node --import tsx node_modules/uvu/bin.js test/e2e broker-cluster
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { allBoardsFilter } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { DeskStatus } from '../../host/desk/status.ts';
import { Desk } from '../support/desk.ts';
import { deskbox, processesMentioning } from '../support/deskbox.ts';
import { waitFor } from '../support/wait.ts';
import { findChromium } from '../support/chromium.ts';

const BOARDS = 3;
const KEEPALIVE_S = 4;
const WAIT = { timeout: 20_000 };
let desk: Desk;
let browser: BrowserContext | undefined;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-broker-cluster-');
});

test.after(async () => {
  await browser?.close();
  await desk.close();
});

const status = async (): Promise<DeskStatus> => JSON.parse((await deskbox(['desk', 'status', '--state', desk.state, '--json'])).stdout);

/** When each board's agent logged its last `connected`, and to which broker. */
async function lastConnect(board: string): Promise<{ at: number; broker: string } | undefined> {
  const log = await readFile(join(desk.state, 'logs', `agent-${board}.log`), 'utf8').catch(() => '');
  const lines = log.split('\n').filter((l) => l.includes(` board:${board} connected `));
  const last = lines.at(-1);
  if (!last) return undefined;
  return { at: Date.parse(last.slice(0, 24)), broker: JSON.parse(last.slice(last.indexOf('{'))).broker };
}

/** The dashboard, logged in as monitor, once it shows every board online. */
async function openDashboard(url: string): Promise<Page> {
  browser = await chromium.launchPersistentContext(join(desk.state, 'chromium'), { executablePath: findChromium(), args: ['--headless', '--no-sandbox'] });
  const page = browser.pages()[0] ?? await browser.newPage();
  await page.goto(url);
  await page.getByLabel('username').fill('monitor');
  await page.getByLabel('password').fill((await readFile(join(desk.state, 'credentials', 'monitor.password'), 'utf8')).trim());
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#live[data-state="live"]').waitFor(WAIT);
  await page.waitForFunction((n) => document.querySelectorAll('.tile[data-state="online"]').length === n, BOARDS, WAIT);
  return page;
}

test('two broker nodes: node 0 SIGKILLed under QoS 1 telemetry; its boards on node 1 within 1.5 x keepalive, no sample lost, statuses intact', () => desk.withLogs(async () => {
  execFileSync('redis-server', ['--version'], { stdio: 'ignore' }); // throws: the cluster needs the Debian package (setup.sh installs it)
  const started = await desk.up({ boards: BOARDS, telemetryPeriod: 1, keepalive: KEEPALIVE_S, args: ['--broker-nodes', '2', '--timeout', '120'], timeoutMs: 150_000 });
  const before = await status();
  assert.is(before.nodes?.length, 2);
  const [node0, node1] = before.nodes!;
  const boards = ['b01', 'b02', 'b03'];
  const onNode0: string[] = [];
  for (const b of boards) if ((await lastConnect(b))?.broker === node0!.mqtts) onNode0.push(b);
  assert.equal(onNode0, ['b01', 'b03'], 'boards are spread over the nodes, b01 and b03 on node 0');

  const seqs = new Map<string, Set<number>>();
  const arrivals: { board: string; at: number }[] = [];
  const sessions: boolean[] = [];
  // A persistent session on node 0 that only Redis keeps: no resubscribe from mqtt.js; it
  // fails over to node 1 as the host's tools do (mqtt.js servers).
  const u0 = new URL(node0!.url!), u1 = new URL(node1!.url!);
  const watcher = await mqtt.connectAsync(started.broker.url!, {
    clientId: 'e2e-cluster-keeper', clean: false, resubscribe: false, protocolVersion: 4, reconnectPeriod: 200,
    servers: [{ host: u0.hostname, port: Number(u0.port) }, { host: u1.hostname, port: Number(u1.port) }],
    username: 'host', password: (await readFile(join(desk.state, 'credentials', 'host.password'), 'utf8')).trim(),
  });
  sessions.push(false);
  watcher.on('connect', (connack) => sessions.push(connack.sessionPresent));
  watcher.on('message', (_topic, payload) => {
    const d = decode('telemetry', payload);
    if (!d.ok) return;
    seqs.set(d.value.board, (seqs.get(d.value.board) ?? new Set()).add(d.value.seq));
    arrivals.push({ board: d.value.board, at: Date.now() });
  });
  const newest = (b: string) => Math.max(-1, ...(seqs.get(b) ?? []));
  const page = await openDashboard(started.dashboard!);
  const config = await page.evaluate(async () => (await (await fetch('/config.json')).json()) as { wsUrls: string[] });
  assert.is(config.wsUrls.length, 2, `the page knows both nodes: ${config.wsUrls.join(', ')}`);
  try {
    await watcher.subscribeAsync(allBoardsFilter('desk1', 'telemetry'), { qos: 1 });
    await waitFor(() => seqs.size === BOARDS && [...seqs.values()].every((s) => s.size >= 3), { timeoutMs: 30_000, what: '3 telemetry samples from every board' });
    const atKill = new Map(boards.map((b) => [b, newest(b)]));
    const killedAt = Date.now();
    process.kill(node0!.pid!, 'SIGKILL');

    // Node 0's boards reconnect; mqtt.js' next server is node 1 (node 0 is restarted meanwhile).
    const moved = new Map<string, { at: number; broker: string }>();
    await waitFor(async () => {
      for (const b of onNode0) {
        const c = await lastConnect(b);
        if (c && c.at >= killedAt - 50) moved.set(b, c);
      }
      return moved.size === onNode0.length;
    }, { timeoutMs: 1.5 * KEEPALIVE_S * 1000 + 2000, what: () => `node 0's boards to reconnect (${[...moved.keys()].join(', ')} did)`, pollMs: 100 });
    const failoverMs = Math.max(...[...moved.values()].map((c) => c.at - killedAt));
    assert.ok(failoverMs <= 1.5 * KEEPALIVE_S * 1000, `boards reconnected ${failoverMs} ms after the kill (limit ${1.5 * KEEPALIVE_S} s)`);
    for (const [b, c] of moved) assert.is(c.broker, node1!.mqtts, `${b} on node 1`);

    await waitFor(() => [...atKill].every(([b, seq]) => newest(b) >= seq + 5), { timeoutMs: 60_000, what: 'telemetry to flow again from every board' });
    assert.ok(sessions.length >= 2 && sessions.slice(1).every(Boolean), `the subscriber reconnected into the session Redis kept (sessionPresent: ${sessions.join(', ')})`);
    const gaps = [...seqs].map(([board, got]) => {
      const first = Math.min(...got);
      return { board, missing: Array.from({ length: newest(board) - first + 1 }, (_, i) => first + i).filter((s) => !got.has(s)) };
    });
    const lost = gaps.reduce((n, g) => n + g.missing.length, 0);
    assert.is(lost, 0, `samples missing: ${gaps.filter((g) => g.missing.length).map((g) => `${g.board}: ${g.missing.join(',')}`).join('; ')}`);

    // Retained statuses: a fresh look (through the CLI, failing over if it must) sees every board online.
    const boardsOut = (await deskbox(['boards', '--state', desk.state])).stdout;
    assert.match(boardsOut, /desk1: 3\/3 online/);
    const after = await status();
    assert.is(after.nodes![0]!.lastExit, 'signal SIGKILL', 'node 0 was restarted by its keeper');
    // The page lost node 0 too: it is live again (on the next node) with every board online.
    await page.locator('#live[data-state="live"]').waitFor(WAIT);
    await page.waitForFunction((n) => document.querySelectorAll('.tile[data-state="online"]').length === n, BOARDS, WAIT);
    assert.match(await (await fetch(`${started.dashboard}metrics`)).text(), /deskbox_boards\{state="online"\} 3/, '/metrics still counts every board');
    const samples = [...seqs.values()].reduce((n, s) => n + s.size, 0);
    console.log(`  cluster node SIGKILL: ${BOARDS} boards (${onNode0.length} on the killed node), ${samples} samples, ${lost} lost; boards on node 1 ${failoverMs} ms after the kill; node 0 back in ${after.nodes![0]!.lastDownMs} ms`);

    // The shared store dies: the desk starts it again on its port with its append-only file.
    const redisKilled = Date.now();
    const flowing = new Map(boards.map((b) => [b, newest(b)]));
    process.kill(after.redis!.pid!, 'SIGKILL');
    await waitFor(async () => (await status()).redis!.restarts === 1, { timeoutMs: 15_000, what: 'the redis-server to be restarted' });
    const redisBack = (await status()).redis!;
    assert.is(redisBack.url, after.redis!.url, 'on the same port');
    await waitFor(() => [...flowing].every(([b, seq]) => newest(b) >= seq + 3), { timeoutMs: 30_000, what: 'telemetry to flow again after the redis-server restart' });
    assert.match((await deskbox(['boards', '--state', desk.state])).stdout, /desk1: 3\/3 online/, 'retained statuses survived the store\'s restart');
    const lostInOutage = [...seqs].reduce((n, [b, got]) => n + Array.from({ length: newest(b) - flowing.get(b)! }, (_, i) => flowing.get(b)! + 1 + i).filter((q) => !got.has(q)).length, 0);
    // The outage as the subscriber saw it: the longest silence of any board around the kill.
    const silence = Math.max(...boards.map((b) => {
      const times = [redisKilled, ...arrivals.filter((a) => a.board === b && a.at >= redisKilled).map((a) => a.at)];
      return Math.max(...times.slice(1).map((t, i) => t - times[i]!));
    }));
    console.log(`  redis-server SIGKILL: back in ${redisBack.lastDownMs} ms; longest silence of a board's telemetry from the kill ${(silence / 1000).toFixed(1)} s (every 1 s normally); samples missed: ${lostInOutage}`);
  } finally {
    await watcher.endAsync();
  }
  await browser?.close();
  browser = undefined;
  await deskbox(['desk', 'down', '--state', desk.state], 120_000);
  assert.equal(await processesMentioning(desk.state), [], 'nothing of the desk left running');
}));

test.run();
