import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HealthReport } from '../../broker/contract/health.ts';
import type { BoardEvent, OnlineStatus, Telemetry } from '../../broker/contract/payloads.ts';
import { createEvidenceReader } from '../../host/health/evidence-reader.ts';

const online = (bootedAt: number, agentStart: number, slot: 'a' | 'b' = 'a'): OnlineStatus => ({
  v: 1, state: 'online', board: 'b07', version: '1', bootedAt, uptimeS: 1, keepaliveS: 10,
  phases: [{ phase: 'power-on', at: bootedAt }, { phase: 'agent-start', at: agentStart }],
  image: { slot, name: 'board', version: '1', sha256: 'x'.repeat(64) },
});
const sample = (at: number): Telemetry => ({
  v: 1, board: 'b07', at, seq: 0, uptimeS: 1, powerW: 1, volts: 5, amps: 0.2, energyJ: 1, cpu: 0, memBytes: 1, guests: { running: 0, failed: 0 },
});

test('a self-check report names the checks that failed', () => {
  const r = createEvidenceReader();
  const report: HealthReport = { v: 1, board: 'b07', at: 5, trigger: 'schedule', ok: false, checks: [
    { name: 'slot', ok: false, detail: 'x', ms: 1 }, { name: 'memory', ok: true, detail: 'y', ms: 0 }, { name: 'clock', ok: false, detail: 'z', ms: 0 },
  ] };
  assert.equal(r.health(report, 10), [{ kind: 'check', at: 10, ok: false, failed: ['slot', 'clock'] }]);
});

test('an agent starting again within one power-on is a restart; a new power-on or a retained replay is not', () => {
  const r = createEvidenceReader();
  assert.equal(r.status(online(1000, 1100), 1), [], 'first sight');
  assert.equal(r.status(online(1000, 1100), 2), [], 'the same status again (a resubscribe replays it)');
  assert.equal(r.status(online(1000, 5000), 3), [{ kind: 'agent-restart', at: 3 }]);
  assert.equal(r.status(online(9000, 9100), 4), [], 'a reboot: new power-on');
});

test('back from a flash in the other slot than the one flashed: a failed trial boot', () => {
  const r = createEvidenceReader();
  r.status(online(1000, 1100, 'a'), 1);
  const flashed: BoardEvent = { v: 1, board: 'b07', at: 2, type: 'flash', state: 'end', ok: true, slot: 'b' };
  r.event(flashed, 2);
  assert.equal(r.status(online(3000, 3100, 'a'), 3), [{ kind: 'trial-boot-failed', at: 3, slot: 'b' }]);
  r.event(flashed, 4);
  assert.equal(r.status(online(5000, 5100, 'b'), 5), [], 'came up in the new slot');
});

test('guest launches and failures; silences once each, from coming online, not for boards switched off or shut down', () => {
  const r = createEvidenceReader();
  assert.equal(r.event({ v: 1, board: 'b07', at: 1, type: 'guests', booted: [{ id: 'g1', bootMs: 20 }], exited: [], failed: [{ id: 'g2', error: 'crun' }] }, 1),
    [{ kind: 'guests', at: 1, launched: 2, failed: 1 }]);
  r.status(online(1000, 1100), 10_000);
  r.telemetry(sample(1), 12_000);
  assert.equal([...r.silences(20_000, 10_000)], []);
  assert.equal([...r.silences(30_000, 10_000)], [['b07', [{ kind: 'silent', at: 30_000, forMs: 18_000 }]]]);
  assert.equal([...r.silences(40_000, 10_000)], [], 'reported once');
  r.telemetry(sample(2), 41_000);
  assert.equal([...r.silences(60_000, 10_000, (b) => b === 'b07')], [], 'switched off by the desk');
  assert.equal(r.status({ v: 1, state: 'offline', board: 'b07', reason: 'lastwill' }, 61_000), [{ kind: 'vanished', at: 61_000 }], 'gone without a goodbye');
  assert.equal(r.status({ v: 1, state: 'offline', board: 'b07', reason: 'lastwill' }, 61_500), [], 'a retained last will heard again is not a second vanishing');
  assert.equal([...r.silences(62_000, 10_000)].length, 1, 'vanished: still owes telemetry');
  r.telemetry(sample(3), 63_000);
  r.status({ v: 1, state: 'offline', board: 'b07', reason: 'shutdown' }, 64_000);
  assert.equal([...r.silences(90_000, 10_000)], [], 'a clean shutdown owes nothing');
});

test.run();
