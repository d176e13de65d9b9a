/** The plain availability word the broker derives from each board status (pure parts). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { availabilityStep } from '../../broker/availability-bridge.ts';
import { authorizePublish } from '../../broker/policy.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

test('a status answers with its state on the board\'s availability topic; a cleared status clears it', () => {
  assert.equal(availabilityStep('deskbox/d1/boards/b01/status', bytes('{"v":1,"state":"online","board":"b01"}')), { topic: 'deskbox/d1/boards/b01/availability', word: 'online' });
  assert.equal(availabilityStep('deskbox/d1/boards/b01/status', bytes('{"v":1,"state":"offline","reason":"lastwill"}')), { topic: 'deskbox/d1/boards/b01/availability', word: 'offline' });
  assert.equal(availabilityStep('deskbox/d1/boards/b01/status', bytes('')), { topic: 'deskbox/d1/boards/b01/availability', word: '' });
});

test('anything else calls for nothing: other channels, other topics, a status without a known state', () => {
  for (const [topic, payload] of [
    ['deskbox/d1/boards/b01/telemetry', '{"state":"online"}'],
    ['deskbox/d1/boards/b01/availability', 'online'],
    ['deskbox/d1/experiment', '{"state":"online"}'],
    ['deskbox/d1/boards/b01/status', 'not json'],
    ['deskbox/d1/boards/b01/status', '{"state":"dancing"}'],
    ['deskbox/d1/boards/b01/status', '"online"'],
  ] as const) assert.is(availabilityStep(topic, bytes(payload)), undefined, `${topic} ${payload}`);
});

test('boards may not write it: only the broker and the host', () => {
  const board = { role: 'board', username: 'b01', desk: 'd1', board: 'b01' } as const;
  assert.not.ok(authorizePublish(board, 'deskbox/d1/boards/b01/availability').allow);
  assert.ok(authorizePublish(board, 'deskbox/d1/boards/b01/status').allow);
});

test.run();
