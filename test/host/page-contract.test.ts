/**
 * The dashboard page judges messages with the contract bundled for it (dist/page-contract.js,
 * built from host/dashboard/page-contract.ts), not with a copy: here the built bundle and the
 * page's model, run in Node, take a fixture list and a seeded corpus exactly as the host's
 * board view does. A stale build or a page that wires the fold differently fails here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { contractBundlePath, publicDir } from '../../host/dashboard/assets.ts';
import { pageTopics } from '../../host/dashboard/page-config.ts';
import * as host from '../../host/dashboard/page-contract.ts';
import { createBoardView } from '../../host/client/board-view.ts';
import type { OnlineStatus, Telemetry } from '../../broker/contract/payloads.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { verdictTopic } from '../../broker/contract/health.ts';
import { fuzzCorpus, type FuzzBoard } from '../support/view-fuzz-corpus.ts';

const DESK = 'desk1';
const NOW = 1_800_000_000_000;
const page = await import(pathToFileURL(contractBundlePath()).href) as typeof host;
const { createModel } = await import(pathToFileURL(join(publicDir(), 'model.js')).href);
const { createTopics } = await import(pathToFileURL(join(publicDir(), 'topics.js')).href);

const boot = (i: number) => NOW - 600_000 + i * 1000;
const status = (board: string, i: number): OnlineStatus => ({
  v: 1, state: 'online', board, version: '0.1.0', bootedAt: boot(i), uptimeS: 60, keepaliveS: 10,
  phases: [{ phase: 'agent-start', at: boot(i) }, { phase: 'ready', at: boot(i) + 200 }],
});
const sample = (board: string, i: number, seq: number): Telemetry => {
  const at = boot(i) + 60_000 + seq * 1000;
  return { v: 1, board, at, seq, uptimeS: (at - boot(i)) / 1000, powerW: 1 + seq / 100, volts: 5, amps: 0.2, energyJ: seq, cpu: 0.01, memBytes: 5e7, guests: { running: 0, failed: 0 } };
};
const boards: FuzzBoard[] = ['b01', 'b02', 'b03'].map((b, i) => ({ board: b, status: status(b, i), telemetry: [0, 1, 2].map((s) => sample(b, i, s)) }));
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

const FIXTURES: [string, 'status' | 'telemetry', Buffer, string][] = [
  ['a real status', 'status', json(boards[0]!.status), 'changed'],
  ['a real sample', 'telemetry', json(boards[0]!.telemetry[2]), 'changed'],
  ['empty', 'telemetry', Buffer.alloc(0), 'changed'],
  ['not JSON', 'status', Buffer.from('{"v":1,'), 'not-json'],
  ['invalid UTF-8', 'status', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'not-json'],
  ['null', 'telemetry', Buffer.from('null'), 'schema'],
  ['an array', 'telemetry', Buffer.from('[1,2]'), 'schema'],
  ['version 2', 'status', json({ ...boards[0]!.status, v: 2 }), 'version'],
  ['power as text', 'telemetry', json({ ...boards[0]!.telemetry[2], powerW: '1.0' }), 'schema'],
  ['negative power', 'telemetry', json({ ...boards[0]!.telemetry[2], powerW: -1 }), 'schema'],
  ['infinite power', 'telemetry', Buffer.from(JSON.stringify(boards[0]!.telemetry[2]).replace(/"powerW":[^,]+/, '"powerW":1e999')), 'schema'],
  ['seq 1.5', 'telemetry', json({ ...boards[0]!.telemetry[2], seq: 1.5 }), 'schema'],
  ['no phases', 'status', json({ ...boards[0]!.status, phases: undefined }), 'schema'],
  ['another board', 'status', json({ ...boards[0]!.status, board: 'b02' }), 'wrong-board'],
  ['an old sample', 'telemetry', json(boards[0]!.telemetry[0]), 'stale'],
  ['64 KiB and one byte', 'telemetry', Buffer.alloc(64 * 1024 + 1, 0x20), 'too-large'],
];

const verdict = (o: { kind: string; rejection?: { reason: string } }) => o.rejection?.reason ?? o.kind;

test('the bundle judges the fixture list as the host does', () => {
  const mine = host.createBoardFold(DESK);
  const theirs = page.createBoardFold(DESK);
  for (const [name, channel, payload, expected] of FIXTURES) {
    const topic = boardTopic(DESK, 'b01', channel);
    assert.is(verdict(mine.apply(topic, payload, false, NOW)), expected, `host: ${name}`);
    assert.is(verdict(theirs.apply(topic, payload, false, NOW)), expected, `page: ${name}`);
  }
});

type View = ReturnType<typeof createBoardView>;
const readers = () => ({
  view: createBoardView(DESK, { now: () => NOW }),
  model: createModel({ desk: DESK, topics: createTopics(pageTopics(DESK)), expected: [], contract: page, now: () => NOW }),
});

/** The same boards in the same states with the same samples, and the same refusals. */
function assertAlike(view: View, model: ReturnType<typeof readers>['model']): void {
  const rows = view.rows();
  // A tile stays once drawn; a row goes when nothing is left of its board (empty messages cleared both).
  const tiles = [...model.boards.values()].filter((b) => b.status || b.telemetry).map((b) => b.id).sort();
  assert.equal(tiles, rows.map((r) => r.board));
  for (const row of rows) {
    const b = model.boards.get(row.board);
    assert.is(b?.status?.state ?? 'unknown', row.state, `${row.board} state`);
    assert.is(b?.status?.version, row.version ?? b?.status?.version, `${row.board} version`);
    assert.is(b?.telemetry?.at, row.lastTelemetryAt, `${row.board} sample`);
  }
  assert.equal(model.rejected().byReason, view.rejected().byReason);
}

test('the page\'s model and the host\'s view end alike after a seeded corpus mixed with the boards\' own stream', () => {
  const corpus = fuzzCorpus({ seed: 7, desk: DESK, boards, count: 800, now: NOW });
  const live = readers();
  corpus.forEach((m, n) => {
    // As the broker delivers to a connected reader: retained or not, a new message comes live.
    live.view.apply(m.topic, m.payload, false);
    live.model.apply(m.topic, m.payload, false);
    // Every tenth message a board speaks for itself, newer each time.
    if (n % 10 === 0) {
      boards.forEach((b, i) => {
        const own = json(sample(b.board, i, 3 + n));
        live.view.apply(boardTopic(DESK, b.board, 'telemetry'), own, false);
        live.model.apply(boardTopic(DESK, b.board, 'telemetry'), own, false);
      });
    }
  });
  assertAlike(live.view, live.model);
  assert.ok(live.view.rejected().total > 500, `most of the corpus is refused: ${live.view.rejected().total}`);
  // A reader that connects afterwards reads the retained ones from the broker's store.
  const later = readers();
  for (const m of corpus.filter((x) => x.retain)) {
    later.view.apply(m.topic, m.payload, true);
    later.model.apply(m.topic, m.payload, true);
  }
  assertAlike(later.view, later.model);
});

test('the page takes the desk\'s verdicts: out-of-service boards are counted, a verdict for another board or off the contract is refused', () => {
  const { model } = readers();
  const verdict = (board: string, state: string, reason = 'why') => json({ v: 1, board, state, since: NOW, reason });
  assert.ok(model.apply(verdictTopic(DESK, 'b01'), verdict('b01', 'quarantined', '2 failed self-checks in a row'), true));
  model.apply(verdictTopic(DESK, 'b02'), verdict('b02', 'suspect'), true);
  model.apply(verdictTopic(DESK, 'b03'), verdict('b03', 'retired'), false);
  model.apply(verdictTopic(DESK, 'b04'), verdict('b04', 'healthy'), false);
  assert.equal(model.summary().outOfService.map((v: { board: string; state: string }) => `${v.board} ${v.state}`), ['b01 quarantined', 'b03 retired']);
  assert.is(model.boards.get('b01').health.reason, '2 failed self-checks in a row');
  assert.ok(model.dirty.has('b01'), 'the tile is redrawn');

  model.apply(verdictTopic(DESK, 'b02'), verdict('b01', 'healthy'), false);
  model.apply(verdictTopic(DESK, 'b02'), verdict('b02', 'sulking'), false);
  model.apply(verdictTopic(DESK, 'b02'), Buffer.from('{'), false);
  assert.equal(model.rejected().byReason['wrong-board'], 1);
  assert.equal(model.rejected().byReason.schema, 1);
  assert.equal(model.rejected().byReason['not-json'], 1);
  assert.is(model.boards.get('b02').health.state, 'suspect', 'a refused verdict changes nothing');

  // Re-admitted, then the retained verdict cleared: back in service either way.
  model.apply(verdictTopic(DESK, 'b01'), verdict('b01', 'healthy'), false);
  model.apply(verdictTopic(DESK, 'b03'), Buffer.alloc(0), false);
  assert.equal(model.summary().outOfService, []);
  assert.not.ok(model.apply(verdictTopic(DESK, 'b09'), Buffer.alloc(0), true), 'clearing an unknown board draws no tile');
});

test.run();
