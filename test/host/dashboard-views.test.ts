/**
 * The dashboard page's pure parts, run under Node as the browser runs them: the filter's
 * syntax, the bounded power history, the plot's scale, the sentences for offline boards and the
 * experiment, and the model's memory of when a board went offline and what it drew.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { publicDir } from '../../host/dashboard/assets.ts';
import * as contract from '../../host/dashboard/page-contract.ts';
import { boardTopic, allBoardsFilter } from '../../broker/contract/topics.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the page's modules are plain JavaScript */
const page = async (name: string): Promise<any> => import(pathToFileURL(join(publicDir(), name)).href);
const { parseFilter, matches } = await page('filter.js');
const { createHistory } = await page('history.js');
const { niceCeiling, plotPath, plotSpan, spanText } = await page('plot.js');
const { clock, duration, offlineText, experimentText, progressUnknown } = await page('board-text.js');
const { createModel } = await page('model.js');
const { createTopics } = await page('topics.js');

const board = (id: string, state: string, tags: string[] = [], health?: { state: string; out: boolean }) => ({ id, state, tags, health });
const shown = (text: string, boards: ReturnType<typeof board>[]) => boards.filter((b) => matches(parseFilter(text), b)).map((b) => b.id);

test('filter: states, verdicts, tags, ids, negation; every word must match', () => {
  const boards = [
    board('b01', 'online', ['rack1']),
    board('b02', 'offline', ['rack1', 'gpu']),
    board('b03', 'offline', []),
    board('b10', 'online', ['rack2'], { state: 'quarantined', out: true }),
  ];
  assert.equal(shown('', boards), ['b01', 'b02', 'b03', 'b10']);
  assert.equal(shown('offline', boards), ['b02', 'b03']);
  assert.equal(shown('state:offline', boards), ['b02', 'b03']);
  assert.equal(shown('tag:rack1', boards), ['b01', 'b02']);
  assert.equal(shown('TAG:GPU', boards), ['b02']);
  assert.equal(shown('offline tag:rack1', boards), ['b02']);
  assert.equal(shown('b01', boards), ['b01']);
  assert.equal(shown('b1', boards), ['b10']);
  assert.equal(shown('id:b0', boards), ['b01', 'b02', 'b03']);
  assert.equal(shown('-offline', boards), ['b01', 'b10']);
  assert.equal(shown('out', boards), ['b10']);
  assert.equal(shown('quarantined', boards), ['b10']);
  // No verdict yet counts as healthy, as on the tiles.
  assert.equal(shown('healthy', boards), ['b01', 'b02', 'b03']);
  assert.equal(shown('tag:nope', boards), []);
});

test('filter: a word that cannot mean anything is named, the rest still filter', () => {
  assert.match(parseFilter('state:sleepy').problem, /"state:sleepy": states are online, booting/);
  assert.match(parseFilter('rack:1').problem, /unknown key "rack:"/);
  assert.match(parseFilter('tag:').problem, /give a tag after the colon/);
  const f = parseFilter('offline tag:');
  assert.is(f.terms.length, 1);
  assert.is(parseFilter('offline b01 -tag:x').problem, undefined);
});

test('history: keeps the last window and at most its capacity, oldest first; ignores going back in time', () => {
  const h = createHistory({ windowMs: 10_000, capacity: 4 });
  for (let t = 1000; t <= 6000; t += 1000) h.add(t, t / 1000);
  assert.is(h.size, 4);
  assert.equal(h.points(6000), [{ at: 3000, value: 3 }, { at: 4000, value: 4 }, { at: 5000, value: 5 }, { at: 6000, value: 6 }]);
  assert.equal(h.points(14_500).map((p: { at: number }) => p.at), [5000, 6000]);
  h.add(5500, 99);
  assert.is(h.size, 4, 'a sample older than the newest is dropped');
  assert.equal(createHistory().points(0), []);
});

test('plot: a round ceiling above the largest value; time across the window', () => {
  assert.is(niceCeiling(0), 1);
  assert.is(niceCeiling(0.7), 1);
  assert.is(niceCeiling(1.3), 2);
  assert.is(niceCeiling(4.2), 5);
  assert.is(niceCeiling(7), 10);
  assert.is(niceCeiling(20), 20);
  assert.is(niceCeiling(210), 500);
  const { d, max } = plotPath([{ at: 0, value: 0 }, { at: 500, value: 1.5 }, { at: 1000, value: 2 }], { now: 1000, windowMs: 1000, width: 100, height: 50 });
  assert.is(max, 5, 'a tenth of headroom above 2');
  assert.is(d, 'M0.0 50.0 L50.0 35.0 L100.0 30.0');
  assert.is(plotSpan([{ at: 990_000, value: 1 }], 1_000_000, 600_000), 60_000, 'at least a minute');
  assert.is(plotSpan([{ at: 700_000, value: 1 }], 1_000_000, 600_000), 300_000, 'what the page has seen');
  assert.is(plotSpan([{ at: 0, value: 1 }], 1_000_000, 600_000), 600_000, 'at most the window');
  assert.equal([spanText(60_000), spanText(300_000)], ['60 s', '5 min']);
  assert.equal(plotPath([], { now: 1, windowMs: 1, width: 1, height: 1 }), { d: '', max: 1 });
});

test('offline text: since the status\'s own time, else when the page saw it; why from its reason', () => {
  const at = new Date(2030, 0, 2, 14, 2, 11).getTime();
  assert.is(clock(at), '14:02:11');
  assert.equal(offlineText({ state: 'offline', reason: 'shutdown', at }, undefined), {
    short: 'since 14:02:11', reason: 'shut down', long: 'offline since 14:02:11: shut down by its agent (reboot or stop)',
  });
  assert.equal(offlineText({ state: 'offline', reason: 'lastwill' }, at + 1000), {
    short: 'since 14:02:12', reason: 'lost', long: 'offline since 14:02:12: connection lost (last will: power cut, crash or network)',
  });
  assert.equal(offlineText({ state: 'offline', reason: 'lastwill' }, undefined).long, 'offline (since before the page connected): connection lost (last will: power cut, crash or network)');
  assert.is(duration(12.9), '12 s');
  assert.is(duration(250), '4 min 10 s');
  assert.is(duration(7500), '2 h 5 min');
  assert.is(duration(3 * 86400 + 4 * 3600), '3 d 4 h');
});

test('experiment text: a phase with no total yet says it is starting, never 0/0', () => {
  const e = { v: 1, run: 'r', plan: 'soak', state: 'running', phase: null, repetition: 1, repetitions: 1, done: 0, total: 0, boards: 6, startedAt: 0, updatedAt: 0 };
  assert.is(experimentText(e, false, 12_000), 'soak: starting on 6 boards, running for 12 s');
  assert.ok(progressUnknown(e));
  assert.is(experimentText({ ...e, phase: 'boot' }, false, 65_000), 'soak: boot phase starting on 6 boards, running for 1 min 5 s');
  assert.is(experimentText({ ...e, phase: 'boot', total: 6, done: 2 }, false, 0), 'soak: boot 2/6, running');
  assert.not.ok(progressUnknown({ ...e, total: 6 }));
  assert.is(experimentText({ ...e, state: 'done' }, false, 0), 'soak: done');
  assert.is(experimentText({ ...e, state: 'aborted', error: 'killed' }, false, 0), 'soak: aborted — killed');
  assert.match(experimentText({ ...e, updatedAt: 0 }, true, 60_000), /^soak: its runner went silent 60 s ago/);
  assert.not.ok(experimentText({ ...e, repetitions: 3, repetition: 2 }, false, 0).includes('0/0'));
});

test('model: when the page saw a board go offline, its power history, its tags, the desk\'s power', () => {
  let now = 1_900_000_000_000;
  const topics = createTopics({
    status: allBoardsFilter('d1', 'status'), telemetry: allBoardsFilter('d1', 'telemetry'), cmd: allBoardsFilter('d1', 'cmd'),
    reply: allBoardsFilter('d1', 'reply'), health: 'deskbox/d1/health/+', experiment: 'deskbox/d1/experiment', stats: '$SYS/deskbox/broker/stats',
  });
  const model = createModel({ desk: 'd1', topics, expected: ['b01', 'b02'], tags: { b02: ['rack2'] }, contract, now: () => now });
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const online = json({ v: 1, state: 'online', board: 'b01', version: '9', bootedAt: now - 5000, uptimeS: 5, keepaliveS: 10, phases: [{ phase: 'ready', at: now - 1000 }], tags: ['rack1'] });
  const tm = (seq: number, powerW: number) => json({ v: 1, board: 'b01', at: now, seq, uptimeS: 5 + seq, powerW, volts: 5, amps: powerW / 5, energyJ: 1, cpu: 0.01, memBytes: 1, guests: { running: 0, failed: 0 } });
  assert.ok(model.apply(boardTopic('d1', 'b01', 'status'), online, true));
  assert.equal(model.tags(model.boards.get('b01')), ['rack1']);
  assert.equal(model.tags(model.boards.get('b02')), ['rack2'], 'the desk file\'s tags until the board says its own');
  model.apply(boardTopic('d1', 'b01', 'telemetry'), tm(1, 1.5), false);
  now += 1000;
  model.apply(boardTopic('d1', 'b01', 'telemetry'), tm(2, 2.5), false);
  const b01 = model.boards.get('b01');
  assert.equal(b01.power.points(now).map((p: { value: number }) => p.value), [1.5, 2.5]);
  assert.is(b01.lastSeen, now);
  model.sampleDesk(now);
  assert.equal(model.deskPower.points(now), [{ at: now, value: 2.5 }]);

  now += 5000;
  const will = json({ v: 1, state: 'offline', board: 'b01', reason: 'lastwill' });
  assert.ok(model.apply(boardTopic('d1', 'b01', 'status'), will, false));
  assert.is(b01.offlineSeenAt, now, 'seen going offline live: since now');
  assert.is(b01.lastOnline.version, '9', 'what it last said online is kept for the detail view');
  // A retained will read at connect time tells no time of its own.
  const fresh = createModel({ desk: 'd1', topics, expected: [], contract, now: () => now });
  fresh.apply(boardTopic('d1', 'b01', 'status'), will, true);
  assert.is(fresh.boards.get('b01').offlineSeenAt, undefined);
});

test.run();
