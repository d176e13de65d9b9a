import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBoardView } from '../../host/client/board-view.ts';
import { boardTopic } from '../../broker/contract/topics.ts';

const status = (phases: string[]) => Buffer.from(JSON.stringify({
  v: 1, state: 'online', board: 'b01', version: '1', bootedAt: 1, uptimeS: 1, keepaliveS: 10,
  phases: phases.map((phase, i) => ({ phase, at: i + 1 })),
}));
const topic = boardTopic('d1', 'b01', 'status');

test('a retained copy arriving after a newer live message does not overwrite it', () => {
  const view = createBoardView('d1');
  assert.ok(view.apply(topic, status(['agent-start', 'broker-connected', 'ready']), false));
  assert.not.ok(view.apply(topic, status(['agent-start', 'broker-connected']), true));
  assert.is(view.rows()[0]!.state, 'online');
  // Before any live message, a retained one is the best there is.
  const fresh = createBoardView('d1');
  assert.ok(fresh.apply(topic, status(['agent-start']), true));
});

test('malformed payloads and other desks are counted or ignored, never thrown', () => {
  const view = createBoardView('d1');
  assert.not.ok(view.apply(topic, Buffer.from('{"v":1,"state":"online"'), false));
  assert.not.ok(view.apply(topic, Buffer.from('{"v":7,"state":"online"}'), false));
  assert.not.ok(view.apply(boardTopic('d2', 'b01', 'status'), status(['ready']), false));
  assert.is(view.rejected.length, 2);
  assert.match(view.rejected[1]!.reason, 'version');
  assert.equal(view.rows(['b01']).map((r) => r.state), ['unknown']);
});

test('a board is complete with its status, and its telemetry when it is online', () => {
  const view = createBoardView('d1');
  view.apply(topic, status(['ready']), true);
  assert.ok(view.has('b01'));
  assert.not.ok(view.complete('b01'), 'online without a sample yet');
  const sample = { v: 1, board: 'b01', at: 5, seq: 0, uptimeS: 1, powerW: 1, volts: 5, amps: 0.2, energyJ: 1, cpu: 0, memBytes: 1, guests: { running: 0, failed: 0 } };
  assert.ok(view.apply(boardTopic('d1', 'b01', 'telemetry'), Buffer.from(JSON.stringify(sample)), true));
  assert.ok(view.complete('b01'));
  const gone = createBoardView('d1');
  gone.apply(topic, Buffer.from(JSON.stringify({ v: 1, state: 'offline', board: 'b01', reason: 'lastwill' })), true);
  assert.ok(gone.complete('b01'), 'an offline board needs no sample');
  assert.not.ok(gone.complete('b02'));
});

test('an empty retained message clears a board', () => {
  const view = createBoardView('d1');
  view.apply(topic, status(['ready']), true);
  assert.ok(view.apply(topic, Buffer.alloc(0), false));
  assert.equal(view.rows(), []);
});

test.run();
