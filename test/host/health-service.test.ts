/**
 * The desk's health service on a real broker: a board's failing self-checks quarantine it, the
 * service starts its recovery, passing checks after it re-admit it; each verdict retained for
 * anyone (a monitor) to read; the record holds every transition; a silent board is noticed on
 * the service's clock; what a board says about another board is no evidence.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createDeskBroker } from '../../broker/server.ts';
import { healthRequestTopic, verdictFilter, verdictTopic, type BoardVerdict } from '../../broker/contract/health.ts';
import type { DeskAccess } from '../../host/client/access.ts';
import { describeLeftOut, resolveBoards } from '../../host/client/desk-boards.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { DEFAULT_THRESHOLDS } from '../../host/health/evidence.ts';
import { openHealthHistory } from '../../host/health/history.ts';
import { readVerdict, startHealthService, type RecoveryOutcome } from '../../host/health/service.ts';
import type { Transition } from '../../host/health/policy.ts';
import { manualClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { Clients, DESK, testUsers } from '../broker/support.ts';
import { waitFor } from '../support/wait.ts';
import { withTempDir } from '../support/temp-dir.ts';

const report = (board: string, ok: boolean) => JSON.stringify({
  v: 1, board, at: Date.now(), trigger: 'schedule', ok, checks: [{ name: 'slot', ok, detail: ok ? 'slot a verifies' : 'slot a: sha256 mismatch', ms: 3 }],
});

test('failing checks quarantine b01, its recovery runs, passing checks re-admit it; verdicts retained, transitions kept', () => withTempDir('deskbox-health-svc-', async (dir) => {
  const broker = await createDeskBroker({ users: await testUsers(), logger: memoryLogger(), wsPort: null, statsIntervalMs: 60_000 });
  const clients = new Clients();
  const url = `mqtt://127.0.0.1:${broker.tcpPort}`;
  const history = openHealthHistory(join(dir, 'health.db'));
  const clock = manualClock();
  const transitions: Transition[] = [];
  let finish!: (o: RecoveryOutcome) => void;
  const recoveries: string[] = [];
  const service = await startHealthService({
    client: await clients.connect(url, 'host'), desk: DESK, thresholds: DEFAULT_THRESHOLDS, history, clock, logger: memoryLogger(),
    recover: (board) => {
      recoveries.push(board);
      return { steps: ['power-cycle', 'reflash'], done: new Promise((r) => (finish = r)) };
    },
    onTransition: (t) => transitions.push(t),
  });
  try {
    const b01 = await clients.connect(url, 'b01');
    const b02 = await clients.connect(url, 'b02');
    const say = (c: typeof b01, board: string, ok: boolean) => c.publishAsync(boardTopic(DESK, board, 'health'), report(board, ok), { qos: 1, retain: true });
    await say(b01, 'b01', false);
    await say(b01, 'b01', false);
    await waitFor(() => transitions.length >= 3, { timeoutMs: 5000, what: () => `quarantine and recovery (${transitions.map((t) => t.to).join(', ')})` });
    assert.equal(transitions.map((t) => t.to), ['suspect', 'quarantined', 'recovering']);
    assert.equal(recoveries, ['b01']);
    // A report on b02's topic that names b01 speaks for neither (the broker keeps b02 out of b01's topics).
    await b02.publishAsync(boardTopic(DESK, 'b02', 'health'), report('b01', false), { qos: 1 });

    finish({ ok: true, steps: ['power-cycle', 'reflash'], reason: 'slot a reflashed' });
    for (let i = 0; i < 3; i++) await say(b01, 'b01', true);
    await waitFor(() => transitions.at(-1)?.to === 'healthy', { timeoutMs: 5000, what: 'b01 re-admitted' });
    assert.is(transitions.at(-1)!.reason, 're-admitted after 3 passing checks');
    assert.not.ok(transitions.some((t) => t.board === 'b02'), 'no evidence from a report naming another board');

    const monitor = await clients.connect(url, 'monitor');
    const seen = new Map<string, string>();
    monitor.on('message', (_t, p) => { const v = readVerdict(p); if (v) seen.set(v.board, v.state); });
    await monitor.subscribeAsync(verdictFilter(DESK), { qos: 1 });
    await waitFor(() => seen.get('b01') === 'healthy', { timeoutMs: 5000, what: 'the retained verdict' });
    assert.equal(history.transitions('b01').map((t) => t.to), ['suspect', 'quarantined', 'recovering', 'healthy']);

    // A person's decisions, as the CLI sends them (host role); a malformed one changes nothing.
    const host = await clients.connect(url, 'host');
    await host.publishAsync(healthRequestTopic(DESK, 'b01'), JSON.stringify({ v: 1, action: 'reboot-everything', by: 'mallory' }), { qos: 1 });
    await host.publishAsync(healthRequestTopic(DESK, 'b01'), JSON.stringify({ v: 1, action: 'retire', by: 'alice@desk' }), { qos: 1 });
    await waitFor(() => transitions.at(-1)?.to === 'retired', { timeoutMs: 5000, what: 'b01 retired by hand' });
    assert.is(transitions.at(-1)!.reason, 'retired by alice@desk');
    await host.publishAsync(healthRequestTopic(DESK, 'b01'), JSON.stringify({ v: 1, action: 'admit', by: 'alice@desk' }), { qos: 1 });
    await waitFor(() => transitions.at(-1)?.to === 'healthy', { timeoutMs: 5000, what: 'b01 admitted by hand' });
    assert.equal(transitions.slice(-2).map((t) => t.to), ['retired', 'healthy'], 'the malformed request made no transition');

    // A board that came online and then fell silent is noticed on the service's clock.
    await b02.publishAsync(boardTopic(DESK, 'b02', 'status'), JSON.stringify({ v: 1, state: 'online', board: 'b02', version: '1', bootedAt: 1, uptimeS: 1, keepaliveS: 10, phases: [] }), { qos: 1, retain: true });
    // Heard for the first time, it has a verdict before any transition: readers see it healthy, not unknown.
    await waitFor(() => seen.get('b02') === 'healthy', { timeoutMs: 5000, what: 'b02 verdict once first heard' });
    assert.is(history.all().get('b02')?.reason, 'no evidence yet');
    for (let i = 0; i < 20 && !transitions.some((t) => t.board === 'b02'); i++) {
      clock.advance(5000);
      await new Promise((r) => setTimeout(r, 10));
    }
    const b02t = transitions.find((t) => t.board === 'b02');
    assert.is(b02t?.to, 'suspect');
    assert.match(b02t!.reason, /^no telemetry for \d+ s$/);
  } finally {
    await service.stop();
    await clients.endAll();
    history.close();
    await broker.close();
  }
}));

test('board sets leave out boards whose retained verdict takes them out of service, and name them', async () => {
  const broker = await createDeskBroker({ users: await testUsers(), logger: memoryLogger(), wsPort: null, statsIntervalMs: 60_000 });
  const clients = new Clients();
  try {
    const url = `mqtt://127.0.0.1:${broker.tcpPort}`;
    const host = await clients.connect(url, 'host');
    const verdict: BoardVerdict = { v: 1, board: 'b02', state: 'quarantined', since: 1, reason: '2 failed self-checks in a row' };
    await host.publishAsync(verdictTopic(DESK, 'b02'), JSON.stringify(verdict), { qos: 1, retain: true });
    const access: DeskAccess = { desk: DESK, url, username: 'host', password: 'x', boards: ['b01', 'b02', 'b03'] };
    assert.equal(await resolveBoards('all', access, host), { boards: ['b01', 'b03'], leftOut: [verdict] });
    assert.equal((await resolveBoards('all', access, host, { includeQuarantined: true })).boards, ['b01', 'b02', 'b03']);
    assert.equal(await resolveBoards('b02', access, host), { boards: ['b02'], leftOut: [] }, 'asked for by name');
    assert.is(describeLeftOut([verdict]), 'b02 (quarantined: 2 failed self-checks in a row)');
  } finally {
    await clients.endAll();
    await broker.close();
  }
});

test.run();
