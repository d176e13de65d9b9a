/**
 * The board view's folding (host/client/board-view.ts over board-fold.ts): what an empty,
 * malformed, misaddressed, old or future message does to the rows, and what is counted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBoardView } from '../../host/client/board-view.ts';
import { RECENT_REJECTIONS } from '../../host/client/rejection-tally.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { MAX_PAYLOAD_BYTES } from '../../broker/contract/messages.ts';

const NOW = 1_800_000_000_000;
const BOOT = NOW - 60_000;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const status = (phases: string[], uptimeS = 1, bootedAt = BOOT) => json({
  v: 1, state: 'online', board: 'b01', version: '1', bootedAt, uptimeS, keepaliveS: 10,
  phases: phases.map((phase, i) => ({ phase, at: bootedAt + i })),
});
const sample = (seq: number, powerW = 1, at = BOOT + 1000 * (seq + 1), board = 'b01') => json({
  v: 1, board, at, seq, uptimeS: (at - BOOT) / 1000, powerW, volts: 5, amps: powerW / 5, energyJ: seq, cpu: 0, memBytes: 1, guests: { running: 0, failed: 0 },
});
const topic = boardTopic('d1', 'b01', 'status');
const tmTopic = boardTopic('d1', 'b01', 'telemetry');
const view = () => createBoardView('d1', { now: () => NOW });

test('a retained copy arriving after a newer live message does not overwrite it', () => {
  const v = view();
  assert.ok(v.apply(topic, status(['agent-start', 'broker-connected', 'ready']), false));
  assert.not.ok(v.apply(topic, status(['agent-start', 'broker-connected']), true));
  assert.is(v.rows()[0]!.state, 'online');
  // Before any live message, a retained one is the best there is.
  assert.ok(view().apply(topic, status(['agent-start']), true));
});

test('malformed payloads and other desks are counted or ignored, never thrown; reasons quote nothing', () => {
  const v = view();
  assert.not.ok(v.apply(topic, Buffer.from('{"v":1,"state":"online","password":"hunter2"'), false));
  assert.not.ok(v.apply(topic, Buffer.from('{"v":7,"state":"online"}'), false));
  assert.not.ok(v.apply(tmTopic, json({ ...JSON.parse(sample(1).toString()), powerW: 'hunter2' }), false));
  assert.not.ok(v.apply(tmTopic, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x7b), false));
  assert.not.ok(v.apply(boardTopic('d2', 'b01', 'status'), status(['ready']), false));
  assert.not.ok(v.apply(boardTopic('d1', 'b01', 'events'), Buffer.from('garbage'), false));
  assert.not.ok(v.apply('deskbox/d1/boards/b@d/status', status(['ready']), false));
  const r = v.rejected();
  assert.is(r.total, 5);
  assert.equal([r.byReason['not-json'], r.byReason.version, r.byReason.schema, r.byReason['too-large'], r.byReason['bad-topic']], [1, 1, 1, 1, 1]);
  assert.is(r.recent[2]!.detail, 'powerW: expected number');
  assert.not.match(JSON.stringify(r), /hunter2/);
  assert.equal(v.rows(['b01']).map((row) => row.state), ['unknown']);
});

test('an empty telemetry clears the telemetry only; an empty status the status only', () => {
  const v = view();
  v.apply(topic, status(['ready']), true);
  v.apply(tmTopic, sample(3, 1.5), true);
  assert.ok(v.apply(tmTopic, Buffer.alloc(0), false));
  const [cleared] = v.rows();
  assert.equal([cleared!.state, cleared!.version, cleared!.uptimeS], ['online', '1', 1], 'the status stays');
  const liveFields = ['powerW', 'volts', 'amps', 'cpu', 'memBytes', 'guests'] as const;
  assert.equal(liveFields.filter((k) => cleared![k] !== undefined), [], 'every live figure of the telemetry went with it');
  // The broker clears an offline board's telemetry: its counter and when it was last heard stay, as this reader saw them.
  assert.equal([cleared!.energyJ, cleared!.lastTelemetryAt], [3, JSON.parse(sample(3, 1.5).toString()).at]);
  assert.is(view().rows().length, 0);
  const late = view();
  late.apply(topic, status(['ready']), true);
  late.apply(tmTopic, Buffer.alloc(0), false);
  assert.equal([late.rows()[0]!.energyJ, late.rows()[0]!.lastTelemetryAt], [undefined, undefined], 'a reader that never saw a sample knows none');
  assert.not.ok(v.apply(tmTopic, sample(2, 9), false), 'an older sample published after the clear is still old');
  assert.ok(v.apply(tmTopic, sample(4, 1.25), false));
  assert.ok(v.apply(topic, Buffer.alloc(0), false));
  const [row] = v.rows(['b01']);
  assert.is(row!.state, 'unknown');
  assert.is(row!.energyJ, 4, 'the telemetry stays');
  assert.not.ok(v.apply(boardTopic('d1', 'b02', 'telemetry'), Buffer.alloc(0), false), 'clearing nothing changes nothing');
});

test('a payload about another board is refused', () => {
  const v = view();
  assert.not.ok(v.apply(tmTopic, sample(1, 1, undefined, 'b02'), false));
  assert.is(v.rejected().byReason['wrong-board'], 1);
  assert.equal(v.rows(), []);
});

test('old copies are stale; repeats change nothing; a reboot and a future stamp do not freeze a board', () => {
  const v = view();
  assert.ok(v.apply(tmTopic, sample(10, 1.1), false));
  assert.not.ok(v.apply(tmTopic, sample(9, 7), false));
  assert.not.ok(v.apply(tmTopic, sample(10, 1.1), false));
  assert.not.ok(v.apply(tmTopic, sample(8, 7), true), 'an older retained copy is the store lagging: ignored, not counted');
  assert.is(v.rejected().byReason.stale, 1);
  assert.is(v.rows()[0]!.powerW, undefined, 'no status yet: not online');
  assert.ok(v.apply(tmTopic, sample(0, 99, NOW + 10 * 365 * 86_400_000), false));
  assert.ok(v.apply(tmTopic, sample(11, 1.2), false), 'the board\'s own next sample replaces one from the future');
  assert.ok(v.apply(topic, status(['ready'], 30), false));
  assert.ok(v.apply(topic, json({ v: 1, state: 'offline', board: 'b01', reason: 'lastwill' }), false), 'a last will always applies');
  assert.not.ok(v.apply(topic, status(['ready'], 30), false), 'the same status again does not bring the board back');
  assert.not.ok(v.apply(topic, status(['ready'], 20), false));
  assert.ok(v.apply(topic, status(['ready'], 1, BOOT + 40_000), false), 'a later boot');
  assert.equal(v.rows().map((r) => [r.state, r.powerW]), [['online', 1.2]]);
  assert.is(v.rejected().byReason.stale, 2);
});

test('a board is complete with its status, and its telemetry when it is online', () => {
  const v = view();
  v.apply(topic, status(['ready']), true);
  assert.ok(v.has('b01'));
  assert.not.ok(v.complete('b01'), 'online without a sample yet');
  assert.ok(v.apply(tmTopic, sample(0), true));
  assert.ok(v.complete('b01'));
  const gone = view();
  gone.apply(topic, json({ v: 1, state: 'offline', board: 'b01', reason: 'lastwill' }), true);
  assert.ok(gone.complete('b01'), 'an offline board needs no sample');
  assert.not.ok(gone.complete('b02'));
});

test('rejections are counted for ever but only the latest are kept', () => {
  const seen: string[] = [];
  const v = createBoardView('d1', { onRejected: (r) => seen.push(r.reason) });
  for (let i = 0; i < 500; i++) v.apply(tmTopic, Buffer.from(`{${i}`), false);
  const r = v.rejected();
  assert.is(r.total, 500);
  assert.is(r.recent.length, RECENT_REJECTIONS);
  assert.is(seen.length, 500);
});

test.run();
