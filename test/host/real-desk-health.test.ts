/**
 * A real desk's health service, `deskbox health serve --desk-file`, as its systemd unit runs
 * it: the built CLI against a real broker, the desk file's consoles and outlets. A board whose
 * self-checks fail is quarantined and recovered through its desk-file console; an adapter that
 * is not there fails each recovery with the desk file's reason until the board is retired, and
 * `deskbox health` and `health history` read that back. And which boards count as switched
 * off, from their outlets, on the service's clock.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manualClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { createDeskBroker } from '../../broker/server.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { verdictFilter } from '../../broker/contract/health.ts';
import { readVerdict } from '../../host/health/service.ts';
import { generateKeys } from '../../images/format/keys.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { watchOutletStates } from '../../host/health/outlet-watch.ts';
import type { Transition } from '../../host/health/policy.ts';
import type { PowerOutlet, OutletState } from '../../host/power/outlet.ts';
import { Clients, DESK, testUsers } from '../broker/support.ts';
import { DESKBOX_CLI, deskbox } from '../support/deskbox.ts';
import { withTempDir } from '../support/temp-dir.ts';
import { waitFor } from '../support/wait.ts';

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const report = (board: string, ok: boolean) => JSON.stringify({
  v: 1, board, at: Date.now(), trigger: 'schedule', ok, checks: [{ name: 'slot', ok, detail: ok ? 'slot a verifies' : 'slot a: sha256 mismatch', ms: 3 }],
});

test('health serve --desk-file: a failing board is recovered through its desk-file console, and retired when the adapter is gone', () => withTempDir('deskbox-real-health-', async (dir) => {
  const broker = await createDeskBroker({ users: await testUsers(), logger: memoryLogger(), wsPort: null, statsIntervalMs: 60_000 });
  const clients = new Clients();
  const state = join(dir, 'state');
  const missing = join(dir, 'by-path', 'usb-0:3.1:1.0-port0');
  await writeFile(join(dir, 'host.password'), 'host-pw\n');
  await writeFile(join(dir, 'monitor.password'), 'monitor-pw\n');
  await writeFile(join(dir, 'desk.yaml'), [
    'v: 1', `desk: ${DESK}`,
    `broker: { url: "mqtt://127.0.0.1:${broker.tcpPort}", passwordFiles: { host: host.password, monitor: monitor.password } }`,
    'boards:', `  b01: { console: { path: "${missing}" } }`, `  b02: { console: { path: "${join(dir, 'by-path', 'other')}" } }`, '',
  ].join('\n'));
  const keys = generateKeys();
  await writeFile(join(dir, 'agent.mjs'), 'export {};\n');
  const image = join(dir, 'board.dbi');
  await buildBoardImage({ out: image, agent: join(dir, 'agent.mjs'), agentVersion: '1', guests: [], type: 'sim', name: 'board', version: '1', arch: 'x86_64', key: { id: keys.publicKey.id, key: createPrivateKey(keys.privatePem) } });

  const serve = spawn(process.execPath, [DESKBOX_CLI, 'health', 'serve', '--desk-file', join(dir, 'desk.yaml'), '--state', state, '--board-image', image, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  serve.stdout.on('data', (d) => (stdout += d));
  serve.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
  const transitions = () => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Transition);
  try {
    const url = `mqtt://127.0.0.1:${broker.tcpPort}`;
    const b01 = await clients.connect(url, 'b01');
    const b02 = await clients.connect(url, 'b02');
    const monitor = await clients.connect(url, 'monitor');
    const verdicts = new Map<string, string>();
    monitor.on('message', (_t, p) => { const v = readVerdict(p); if (v) verdicts.set(v.board, v.state); });
    await monitor.subscribeAsync(verdictFilter(DESK), { qos: 1 });
    // b02's report is retained: the service hears it once it listens, and answers with b02's first verdict.
    await b02.publishAsync(boardTopic(DESK, 'b02', 'health'), report('b02', true), { qos: 1, retain: true });
    await waitFor(() => verdicts.get('b02') === 'healthy', { timeoutMs: 20_000, what: () => `the service listening (stderr: ${stderr})` });
    for (let i = 0; i < 2; i++) await b01.publishAsync(boardTopic(DESK, 'b01', 'health'), report('b01', false), { qos: 1, retain: true });

    await waitFor(() => transitions().some((t) => t.to === 'retired'), { timeoutMs: 20_000, what: () => `b01 retired (${transitions().map((t) => t.to).join(', ')}; stderr: ${stderr})` });
    assert.equal(transitions().map((t) => t.to), ['suspect', 'quarantined', 'recovering', 'quarantined', 'recovering', 'quarantined', 'recovering', 'retired']);
    // No outlet in the desk file: a reflash is the one step, and the desk file says why it cannot be done.
    assert.match(transitions().at(-1)!.reason, new RegExp(`^3 recoveries failed; last: reflash: console: ${literal(missing)} is not there \\(adapter unplugged, or another USB port\\?\\)$`));
    assert.ok(transitions().every((t) => t.board === 'b01'));

    const listed = JSON.parse((await deskbox(['health', '--desk-file', join(dir, 'desk.yaml'), '--json'])).stdout) as { board: string; state: string; reason: string }[];
    assert.equal(listed.map((v) => [v.board, v.state]), [['b01', 'retired'], ['b02', 'healthy']]);
    assert.is(listed[1]!.reason, 'no evidence yet', 'b02 has a verdict from the service, not the CLI\'s stand-in');
    const history = (await deskbox(['health', 'history', 'b01', '--state', state])).stdout;
    assert.match(history, /retired/);
    assert.match(history, /recovery 2 of 3 failed: reflash: console: /);
  } finally {
    serve.kill('SIGTERM');
    await exited;
    await clients.endAll();
    await broker.close();
  }
  assert.is(await exited, 0, `health serve stops cleanly on SIGTERM: ${stderr}`);
}));

test('switched off: boards whose outlet reads off, asked again on the clock; no answer or no outlet counts as on', async () => {
  const states = new Map<string, OutletState | Error>([['b01', 'off'], ['b02', 'on'], ['b03', new Error('no answer')]]);
  const outlet = (board: string): PowerOutlet => ({
    description: board, on: async () => {}, off: async () => {}, cycle: async () => {}, close: async () => {},
    state: async () => { const s = states.get(board)!; if (s instanceof Error) throw s; return s; },
  });
  const power = { outletOf: (b: string) => (states.has(b) ? outlet(b) : undefined), close: async () => {} };
  const clock = manualClock();
  const watch = await watchOutletStates(power, ['b01', 'b02', 'b03', 'b04'], clock, 10_000);
  try {
    assert.equal(['b01', 'b02', 'b03', 'b04'].map(watch.isOff), [true, false, false, false]);
    states.set('b01', 'on');
    states.set('b02', 'off');
    clock.advance(9_999);
    await waitFor(() => true, { timeoutMs: 100, what: 'a turn' });
    assert.ok(watch.isOff('b01'), 'not asked again before its time');
    clock.advance(1);
    await waitFor(() => watch.isOff('b02') && !watch.isOff('b01'), { timeoutMs: 2000, what: 'the new answers' });
  } finally {
    watch.stop();
  }
});

test.run();
