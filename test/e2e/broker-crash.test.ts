/**
 * End to end, through the built CLI: the desk broker process killed with SIGKILL while the
 * boards publish QoS 1 telemetry comes back on the same ports with the same store, and a
 * persistent subscriber misses no sample; a desk brought up again keeps its ports unless
 * another program holds them; a broker that keeps crashing takes the desk down with the reason.
 * The figures of the first test are in RELIABILITY.md.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { allBoardsFilter } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import { isAlive } from '../../host/locations/desk-file.ts';
import { BROKER_CRASH_LIMIT, BROKER_CRASH_WINDOW_MS } from '../../host/desk/broker-keeper.ts';
import type { DeskStatus } from '../../host/desk/status.ts';
import { Desk, type DeskUp } from '../support/desk.ts';
import { deskbox, processesMentioning } from '../support/deskbox.ts';
import { waitFor } from '../support/wait.ts';

/** A small desk by default; RELIABILITY.md also has the figures of a bigger one (`BROKER_CRASH_BOARDS=20`). */
const BOARDS = Number(process.env.BROKER_CRASH_BOARDS ?? 3);
/** The boards' graceful stop allows 60 s (board-processes.ts), which a desk without its broker may use up. */
const BOARDS_STOP_MS = 60_000;
let desk: Desk;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-broker-crash-');
});

test.after(async () => {
  await desk.close();
});

async function up(): Promise<DeskUp & { portsNote: string | null }> {
  // Generous limits: on a busy 2-core machine 20 boards took 70 s to come online.
  return await desk.up({ boards: BOARDS, telemetryPeriod: 1, keepalive: 4, args: ['--timeout', '180'], timeoutMs: 200_000 }) as DeskUp & { portsNote: string | null };
}

const status = async (): Promise<DeskStatus> => JSON.parse((await deskbox(['desk', 'status', '--state', desk.state, '--json'])).stdout);

async function downAndGone(): Promise<void> {
  // `desk down` waits up to 90 s for the boards' own stop; a loaded machine with 20 boards needed over 60.
  await deskbox(['desk', 'down', '--state', desk.state], 120_000);
  assert.equal(await processesMentioning(desk.state), [], 'nothing of the desk left running');
}

/** `body` with the desk's logs on failure; a failed test still takes its desk down, so the next one can start its own. */
const deskTest = (body: () => Promise<void>) => () => desk.withLogs(async () => {
  try {
    await body();
  } catch (err) {
    await desk.stop();
    throw err;
  }
});

const portOf = (url: string | null) => (url ? new URL(url).port : null);

test('broker SIGKILLed under QoS 1 telemetry: back on the same ports, no sample lost, one restart counted', deskTest(async () => {
  const started = await up();
  const seqs = new Map<string, Map<number, number>>(); // board -> seq -> copies received
  const sessions: boolean[] = []; // sessionPresent of each CONNACK
  let killedAt = 0;
  const firstAfterKill = new Map<string, number>(); // board -> when its first sample published after the kill arrived
  // A persistent session that only the broker's store keeps: no resubscribe from mqtt.js.
  const watcher = await mqtt.connectAsync(started.broker.url!, {
    clientId: 'e2e-telemetry-keeper', clean: false, resubscribe: false, protocolVersion: 4, reconnectPeriod: 200,
    username: 'host', password: (await readFile(join(desk.state, 'credentials', 'host.password'), 'utf8')).trim(),
  });
  sessions.push(false);
  watcher.on('connect', (connack) => sessions.push(connack.sessionPresent));
  watcher.on('message', (_topic, payload) => {
    const d = decode('telemetry', payload);
    if (!d.ok) return;
    const board = seqs.get(d.value.board) ?? new Map<number, number>();
    seqs.set(d.value.board, board.set(d.value.seq, (board.get(d.value.seq) ?? 0) + 1));
    if (killedAt && d.value.at >= killedAt && !firstAfterKill.has(d.value.board)) firstAfterKill.set(d.value.board, Date.now());
  });
  try {
    await watcher.subscribeAsync(allBoardsFilter('desk1', 'telemetry'), { qos: 1 });
    const newest = (b: string) => Math.max(-1, ...(seqs.get(b)?.keys() ?? []));
    await waitFor(() => seqs.size === BOARDS && [...seqs.values()].every((s) => s.size >= 3), { timeoutMs: 30_000, what: '3 telemetry samples from every board' });

    const before = await status();
    assert.is(before.broker.restarts, 0);
    const atKill = new Map([...seqs.keys()].map((b) => [b, newest(b)]));
    killedAt = Date.now();
    process.kill(before.broker.pid!, 'SIGKILL');

    let after = before;
    await waitFor(async () => (after = await status()).broker.restarts === 1 && after.broker.pid !== null, { timeoutMs: 20_000, what: 'the broker to be restarted', pollMs: 200 });
    assert.is.not(after.broker.pid, before.broker.pid);
    assert.is(after.broker.url, started.broker.url, 'same TCP port');
    assert.is(after.broker.ws, started.broker.ws, 'same WebSocket port');
    assert.is(after.broker.mqtts, started.broker.mqtts, 'same TLS port');
    assert.is(after.broker.wss, started.broker.wss, 'same secure WebSocket port');
    assert.is(after.broker.lastExit, 'signal SIGKILL');
    // Samples the boards published while the broker was away, and after: each board 5 on.
    await waitFor(() => [...atKill].every(([b, seq]) => newest(b) >= seq + 5), { timeoutMs: 60_000, what: 'telemetry to flow again from every board' });
    // A reconnect may be tried while the new broker is still coming up (and cut): however many
    // there were, each one found the session the store kept.
    assert.ok(sessions.length >= 2 && sessions.slice(1).every(Boolean), `reconnects into the session the store kept (sessionPresent of each CONNACK: ${sessions.join(', ')})`);

    const gaps = [...seqs].map(([board, got]) => {
      const first = Math.min(...got.keys());
      const missing = Array.from({ length: newest(board) - first + 1 }, (_, i) => first + i).filter((s) => !got.has(s));
      return { board, first, missing };
    });
    const lost = gaps.reduce((n, g) => n + g.missing.length, 0);
    assert.is(lost, 0, `samples missing: ${gaps.filter((g) => g.missing.length).map((g) => `${g.board} (from ${g.first}, kill after ${atKill.get(g.board)}): ${g.missing.join(',')}`).join('; ')}`);
    const copies = [...seqs.values()].reduce((n, got) => n + [...got.values()].reduce((m, c) => m + c - 1, 0), 0);
    const text = (await deskbox(['desk', 'status', '--state', desk.state])).stdout;
    assert.match(text, /broker mqtts:\/\/127\.0\.0\.1:\d+ \(pid \d+, 1 restart, last exit: signal SIGKILL, back in \d+\.\d\d s\)/);
    const flowing = Math.max(...firstAfterKill.values()) - killedAt;
    const samples = [...seqs.values()].reduce((n, s) => n + s.size, 0);
    console.log(`  broker SIGKILL: ${BOARDS} boards, ${samples} samples, ${lost} lost, ${copies} received twice; broker listening again ${after.broker.lastDownMs} ms after it died; every board's telemetry flowing ${flowing} ms after the kill`);
  } finally {
    await watcher.endAsync();
  }
  await downAndGone();
}));

test('a desk brought up again keeps its broker ports, unless another program holds them', deskTest(async () => {
  const ports = JSON.parse(await readFile(join(desk.state, 'broker', 'ports.json'), 'utf8'));
  const again = await up();
  assert.is(portOf(again.broker.url), String(ports.tcpPort));
  assert.is(portOf(again.broker.ws), String(ports.wsPort));
  assert.is(portOf(again.broker.mqtts), String(ports.tlsPort));
  assert.is(portOf(again.broker.wss), String(ports.wssPort));
  assert.is(again.portsNote, null);
  await downAndGone();

  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(ports.tcpPort, '127.0.0.1', resolve));
  try {
    const moved = await up();
    assert.is.not(portOf(moved.broker.url), String(ports.tcpPort));
    assert.is(portOf(moved.broker.ws), String(ports.wsPort), 'the free one is kept');
    assert.match(moved.portsNote ?? '', new RegExp(`last TCP port ${ports.tcpPort} is taken; the broker listens on new ports \\(TCP ${portOf(moved.broker.url)}`));
    await downAndGone();
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
}));

test(`a broker that crashes ${BROKER_CRASH_LIMIT} times within ${BROKER_CRASH_WINDOW_MS / 1000} s takes the desk down with the reason`, deskTest(async () => {
  const supervisor = (await up()).pid;
  const firstKill = Date.now();
  let pid: number | null = null;
  for (let kill = 1; kill <= BROKER_CRASH_LIMIT; kill++) {
    const previous = pid;
    await waitFor(async () => { pid = (await status()).broker.pid; return pid !== null && pid !== previous; }, { timeoutMs: 20_000, what: `broker process ${kill}`, pollMs: 200 });
    process.kill(pid!, 'SIGKILL');
  }
  assert.ok(Date.now() - firstKill < BROKER_CRASH_WINDOW_MS, 'every kill within the window');
  const reason = new RegExp(`the desk broker crashed ${BROKER_CRASH_LIMIT} times within ${BROKER_CRASH_WINDOW_MS / 1000} s \\(last: signal SIGKILL\\)`);
  let said = '';
  await waitFor(() => deskbox(['desk', 'status', '--state', desk.state]).then(() => false, (err: Error) => reason.test(said = err.message)),
    { timeoutMs: 20_000, what: () => `\`desk status\` to say why the desk went down; it said: ${said}`, pollMs: 200 });
  assert.match(said, /went down at \d{4}-\d\d-\d\dT/);
  // The agents' own stop waits for acknowledgements no broker will send, until their grace ends.
  await waitFor(() => !isAlive(supervisor), { timeoutMs: BOARDS_STOP_MS + 30_000, what: 'the supervisor to exit', pollMs: 200 });
  assert.match(await readFile(join(desk.state, 'supervisor.log'), 'utf8'), reason);
  assert.equal(await processesMentioning(desk.state), [], 'nothing of the desk left running');
}));

test.run();
