/**
 * End to end, as a user would: `deskbox desk up` from the built CLI, real broker, real agent
 * processes, real ptys; watched with a real MQTT client; one agent killed with SIGKILL.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { allBoardsFilter, boardTopic } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { Status, Telemetry } from '../../broker/contract/payloads.ts';
import { createRequester } from '../../host/client/request.ts';
import { groupMembers, isAlive } from '../../host/locations/desk-file.ts';
import { waitFor } from '../support/wait.ts';
import { deskbox, processesMentioning, socatsUsing } from '../support/deskbox.ts';
import { Desk, withDesk } from '../support/desk.ts';

const KEEPALIVE = 4;
const BOARDS = 8;
let desk: Desk;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-');
});

test.after(() => desk.close());

test('desk up, watch, kill a board, see its last will, power it back, desk down', () => desk.withLogs(async () => {
  const state = desk.state;
  const up = await desk.up({ boards: BOARDS, keepalive: KEEPALIVE, restartDelay: 0 });
  const supervisorPid = up.pid;
  assert.is(up.online, BOARDS);
  assert.ok(up.msToAllOnline < 30_000);
  assert.match(up.broker.url ?? '', /^mqtt:\/\/127\.0\.0\.1:\d+$/, 'on loopback the plain listener stays');
  assert.match(up.broker.mqtts ?? '', /^mqtts:\/\/127\.0\.0\.1:\d+$/);
  assert.match(up.broker.wss ?? '', /^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/);
  assert.is(up.broker.caFile, join(state, 'tls', 'ca.pem'));
  assert.is(up.monitor.password, (await readFile(join(state, 'credentials', 'monitor.password'), 'utf8')).trim());

  // Watch as an outside client would, with the printed monitor credentials and CA.
  const watcher = await mqtt.connectAsync(up.broker.mqtts!, { ca: await readFile(up.broker.caFile), username: 'monitor', password: up.monitor.password, protocolVersion: 4, reconnectPeriod: 0 });
  const statuses = new Map<string, Status>();
  const telemetry = new Map<string, Telemetry[]>();
  const live = new Set<string>();
  watcher.on('message', (topic, payload, packet) => {
    const board = topic.split('/')[3]!;
    // A retained copy read from the broker's store can arrive after a newer live message.
    if (packet.retain && live.has(topic)) return;
    if (!packet.retain) live.add(topic);
    if (topic.endsWith('/status')) {
      const d = decode('status', payload);
      if (d.ok) statuses.set(board, d.value);
    } else if (topic.endsWith('/telemetry')) {
      const d = decode('telemetry', payload);
      if (d.ok) telemetry.set(board, [...(telemetry.get(board) ?? []), d.value]);
    }
  });
  await watcher.subscribeAsync([allBoardsFilter(up.desk, 'status'), allBoardsFilter(up.desk, 'telemetry')]);
  try {
    const seenSoFar = () => [...statuses.entries()].map(([b, s]) => `${b}:${s.state}:${s.state === 'online' ? s.phases.map((p) => p.phase).join('>') : s.reason}`).join(' ');
    await waitFor(() => statuses.size === BOARDS && [...statuses.values()].every((s) => s.state === 'online' && s.phases.some((p) => p.phase === 'ready')), { timeoutMs: 10_000, what: 'retained statuses' })
      .catch((err: Error) => { throw new Error(`${err.message}; seen: ${seenSoFar()}`); });
    for (const s of statuses.values()) {
      if (s.state !== 'online') throw new Error('unreachable');
      assert.is(s.version, JSON.parse(await readFile('package.json', 'utf8')).version);
      assert.equal(s.phases.map((p) => p.phase), ['power-on', 'agent-start', 'broker-connected', 'ready']);
      assert.ok(s.phases.every((p, i) => i === 0 || p.at >= s.phases[i - 1]!.at), 'phases in time order');
      assert.is(s.keepaliveS, KEEPALIVE);
    }
    // Energy grows between samples and power sits near an Overo-class idle draw.
    // Two messages can leave close together (a period's tick and the one sent on `ready`): compare over a second.
    const spanMs = (t: Telemetry[]) => t.length < 2 ? 0 : t[t.length - 1]!.at - t[0]!.at;
    await waitFor(() => [...telemetry.values()].filter((t) => spanMs(t) >= 1500).length === BOARDS, { timeoutMs: 15_000, what: 'telemetry over 1.5 s from every board' });
    for (const [board, samples] of telemetry) {
      const [a, b] = [samples[0]!, samples[samples.length - 1]!];
      assert.ok(b.energyJ > a.energyJ, `${board} energy grows: ${JSON.stringify(samples)}`);
      assert.ok(b.powerW > 0.9 && b.powerW < 2.5, `${board} power ${b.powerW} W`);
    }

    const live = (await deskbox(['monitor', '--state', state, '--count', '1'])).stdout;
    assert.match(live, /b08\s*│ online/);
    assert.match(live, /8\/8 online/);

    const boards = JSON.parse((await deskbox(['boards', '--state', state, '--json'])).stdout);
    assert.is(boards.boards.length, BOARDS);
    assert.ok(boards.boards.every((r: { state: string; powerW?: number }) => r.state === 'online' && (r.powerW ?? 0) > 0));

    // Request/reply as the host role: every request is answered, malformed ones included.
    const host = await mqtt.connectAsync(up.broker.url!, { username: 'host', password: (await readFile(join(state, 'credentials', 'host.password'), 'utf8')).trim(), protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const request = createRequester(host, up.desk);
      const pong = await request('b02', 'ping');
      assert.ok(pong.ok);
      const unknown = await request.raw('b02', 'self-destruct');
      assert.ok(!unknown.ok && unknown.error.code === 'unknown-op');
      const replies: string[] = [];
      host.on('message', (t, p) => { if (t === boardTopic(up.desk, 'b02', 'reply')) replies.push(p.toString()); });
      await host.publishAsync(boardTopic(up.desk, 'b02', 'cmd'), '{"v":1,"id":"broken-1","op":');
      await waitFor(() => replies.some((r) => r.includes('"bad-request"')), { timeoutMs: 5000, what: 'an error reply to a malformed command' });
      assert.ok((await request('b02', 'ping')).ok, 'the board is still up after a malformed command');
    } finally {
      await host.endAsync();
    }

    // SIGKILL one agent: the broker publishes its last will within 1.5x keepalive.
    const status = JSON.parse((await deskbox(['desk', 'status', '--state', state, '--json'])).stdout);
    const victim = status.groups.find((g: { name: string }) => g.name === 'b03');
    const killedAt = Date.now();
    process.kill(victim.processes[0].pid, 'SIGKILL');
    await waitFor(() => statuses.get('b03')?.state === 'offline', { deadline: killedAt + 1.5 * KEEPALIVE * 1000, what: 'b03 offline by last will' });
    const will = statuses.get('b03');
    assert.ok(will?.state === 'offline' && will.reason === 'lastwill');
    assert.ok([...statuses.entries()].filter(([b]) => b !== 'b03').every(([, s]) => s.state === 'online'), 'other boards unaffected');

    await deskbox(['desk', 'power', 'b03', 'on', '--state', state]);
    await waitFor(() => statuses.get('b03')?.state === 'online', { timeoutMs: 10_000, what: 'b03 online again' });
  } finally {
    await watcher.endAsync();
  }

  const pids = (JSON.parse((await deskbox(['desk', 'status', '--state', state, '--json'])).stdout).groups as { processes: { pid: number }[] }[]).flatMap((g) => g.processes.map((p) => p.pid));
  assert.equal(await socatsUsing(state), [], 'the consoles\' pty pairs are the pty host\'s, not a socat each');
  await desk.down();
  assert.equal(groupMembers(supervisorPid), [], 'nothing of the desk\'s process group is left (its pty host neither)');
  assert.not.ok(isAlive(supervisorPid), 'supervisor gone');
  assert.ok(pids.every((p) => !isAlive(p)), 'every agent process gone');
  assert.equal(await processesMentioning(state), [], 'no socat or agent left for this desk');
  await access(join(state, 'run.json')).then(() => assert.unreachable('run.json removed'), () => undefined);
}));

test('several boards per process; power cycling a group; consoles captured', () => withDesk('deskbox-e2e-k-', async (desk) => {
  const dir = desk.state;
  const up = await desk.up({ boards: 6, boardsPerProcess: 3, tags: { odd: 'b01,b03,b05', top: '2' } });
  assert.is(up.online, 6);
  // Tags travel in the boards' statuses; a board set names them like ids and ranges.
  const tagged = JSON.parse((await deskbox(['guests', 'ls', '--boards', 'tag:odd,tag:top', '--state', dir, '--json'])).stdout) as { board: string; ok: boolean }[];
  assert.equal(tagged.map((t) => [t.board, t.ok]), [['b01', true], ['b02', true], ['b03', true], ['b05', true]]);
  const status = JSON.parse((await deskbox(['desk', 'status', '--state', dir, '--json'])).stdout);
  assert.equal(status.groups.map((g: { boards: string[] }) => g.boards), [['b01', 'b02', 'b03'], ['b04', 'b05', 'b06']]);

  // Through the simulated desk's switch, the `sim` power driver: the group goes with its board.
  const cycled = JSON.parse((await deskbox(['desk', 'power', 'b02', 'cycle', '--state', dir, '--json'])).stdout);
  assert.equal(cycled.results.map((r: { board: string; state: string }) => [r.board, r.state]), [['b02', 'on']]);
  const group = JSON.parse((await deskbox(['desk', 'status', '--state', dir, '--json'])).stdout).groups[0];
  assert.equal(group.boards, ['b01', 'b02', 'b03']);
  assert.is(group.processes.length, 1, 'one process for the group: its boards booted the same agent');
  assert.is.not(group.processes[0].pid, status.groups[0].processes[0].pid);
  const boardsAfter = async () => JSON.parse((await deskbox(['boards', '--state', dir, '--json'])).stdout).boards as { board: string; state: string; uptimeS?: number }[];
  await waitFor(async () => (await boardsAfter()).every((b) => b.state === 'online'), { timeoutMs: 15_000, what: 'all boards online after the power cycle' });

  // The console captured the boot ROM's and the agent's output through the real pty pair.
  // Online comes before ready (the agent installs its carried images in between).
  const consoleOf = () => readFile(join(dir, 'boards', 'b05', 'console.log'), 'utf8');
  await waitFor(async () => /ready at \d{4}-/.test(await consoleOf()), { timeoutMs: 15_000, what: 'b05 ready on its console' });
  assert.match(await consoleOf(), /deskbox boot \(board b0\d\)[\s\S]*slot a: [\s\S]*deskbox agent/);

  // A board set, as a schedule puts a rack to sleep: tag:odd is b01, b03, b05 (b02 goes with b01 and b03's group).
  const slept = JSON.parse((await deskbox(['desk', 'power', 'tag:odd', 'off', '--state', dir, '--json'])).stdout);
  assert.equal([slept.ok, slept.results.map((r: { board: string; state: string }) => [r.board, r.state])], [true, [['b01', 'off'], ['b03', 'off'], ['b05', 'off']]]);
  const woken = JSON.parse((await deskbox(['desk', 'power', 'tag:odd', 'on', '--state', dir, '--json'])).stdout);
  assert.ok(woken.results.every((r: { state: string }) => r.state === 'on'));
  await waitFor(async () => (await boardsAfter()).every((b) => b.state === 'online'), { timeoutMs: 15_000, what: 'all boards online after the rack woke' });
  const unknown = await deskbox(['desk', 'power', 'tag:nope', 'off', '--state', dir]).then(() => undefined, (e: Error) => e.message);
  assert.match(String(unknown), /tag:nope/);
  await desk.down();
  assert.equal(await processesMentioning(dir), []);
}));

test('a supervisor killed with SIGKILL: the next desk up reaps its boards, desk down leaves nothing', () => withDesk('deskbox-e2e-crash-', async (desk) => {
  const dir = desk.state;
  const first = await desk.up({ boards: 2 });
  const orphans = (JSON.parse((await deskbox(['desk', 'status', '--state', dir, '--json'])).stdout).groups as { processes: { pid: number }[] }[]).flatMap((g) => g.processes.map((p) => p.pid));
  process.kill(first.pid, 'SIGKILL');
  await waitFor(() => !isAlive(first.pid), { timeoutMs: 5000, what: 'the supervisor to die' });
  const second = await desk.up({ boards: 2 });
  assert.is(second.online, 2);
  assert.ok(orphans.every((p) => !isAlive(p)), 'the crashed desk\'s board processes were reaped');
  await desk.down();
  assert.equal(await processesMentioning(dir), []);
}));

test.run();
