/**
 * `guests start`'s progress: counted from the boards' `guests` events before they answer, the
 * answer then final; followed through a real desk broker on loopback, as boards publish them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryLogger } from '../../platform/log.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { createDeskBroker } from '../../broker/server.ts';
import { followGuestStarts, startTally } from '../../host/cli/guests-progress.ts';
import { Clients, DESK, testUsers } from '../broker/support.ts';
import { waitFor } from '../support/wait.ts';

test('tally: events count up to the guests asked per board, an answer replaces its board\'s count, other boards ignored', () => {
  const t = startTally(['b01', 'b02'], 3);
  t.event('b01', 2, 0);
  t.event('b02', 1, 1);
  t.event('b09', 5, 0);
  assert.is(t.settled(), 4);
  t.event('b01', 4, 0);
  assert.is(t.settled(), 5, 'b01 counts at most 3');
  t.answered('b02', 1);
  t.event('b02', 2, 0);
  assert.is(t.settled(), 4, 'after its answer, b02 counts what it answered');
  assert.is(t.answers(), 1);
});

test('follow: the boards\' guests events move the progress through a real broker; stop unsubscribes', async () => {
  const desk = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('broker'), statsIntervalMs: 60_000 });
  const clients = new Clients();
  try {
    const url = `mqtt://127.0.0.1:${desk.tcpPort}`;
    const host = await clients.connect(url, 'host');
    const b01 = await clients.connect(url, 'b01');
    const seen: string[] = [];
    const progress = {
      start: (phase: string, total: number, unit: string) => seen.push(`start ${phase} ${total} ${unit}`),
      update: (done: number) => seen.push(`update ${done}`),
      end: () => seen.push('end'),
    };
    const follow = await followGuestStarts(host, DESK, ['b01', 'b02'], 2, progress);
    const guests = (booted: number, failed: number) => JSON.stringify({ v: 1, board: 'b01', at: Date.now(), type: 'guests', booted: Array.from({ length: booted }, (_, i) => ({ id: `g${i}`, bootMs: 40 })), exited: [], failed: Array.from({ length: failed }, (_, i) => ({ id: `f${i}`, error: 'exit 1' })) });
    await b01.publishAsync(boardTopic(DESK, 'b01', 'events'), guests(1, 0), { qos: 1 });
    await b01.publishAsync(boardTopic(DESK, 'b01', 'events'), 'not json', { qos: 1 });
    await b01.publishAsync(boardTopic(DESK, 'b01', 'events'), guests(0, 1), { qos: 1 });
    await waitFor(() => seen.includes('update 2'), { timeoutMs: 5000, what: 'b01\'s two guests counted' });
    follow.answered('b02', 2);
    await follow.stop();
    assert.equal(seen, ['start guests 4 guests', 'update 1', 'update 2', 'update 4', 'end']);
  } finally {
    await clients.endAll();
    await desk.close();
  }
});

test.run();
