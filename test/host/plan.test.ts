import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration, parsePlan, PlanError } from '../../host/experiment/plan.ts';
import { BoardSetError, resolveBoardSet, tagsByBoard } from '../../host/client/board-set.ts';
import { readFileSync } from 'node:fs';

const DESK = Array.from({ length: 120 }, (_, i) => `b${String(i + 1).padStart(3, '0')}`);

test('board sets: all, a count, lists and ranges in desk order; clear errors', () => {
  assert.is(resolveBoardSet('all', DESK).length, 120);
  assert.equal(resolveBoardSet(3, DESK), ['b001', 'b002', 'b003']);
  assert.equal(resolveBoardSet('b100,b001-b003', DESK), ['b001', 'b002', 'b003', 'b100']);
  assert.is(resolveBoardSet('b001-b080,b100', DESK).length, 81);
  assert.equal(resolveBoardSet('b1-b2', ['b1', 'b2', 'b3']), ['b1', 'b2']);
  for (const [spec, re] of [['b200', /no board "b200"/], ['b110-b130', /names 21 boards, the desk has 11/], ['b005-b001', /backwards/], ['0', /the desk has 120 boards/], ['b1-c3', /mixes prefixes/], [',', /names no board/]] as const) {
    try {
      resolveBoardSet(spec, DESK);
      assert.unreachable(spec);
    } catch (e) {
      assert.instance(e, BoardSetError);
      assert.match((e as Error).message, re);
    }
  }
});

test('board sets: tags select the boards that carry them, mixed with ids and ranges; tagsByBoard turns a desk\'s tag sets around', () => {
  const tags = tagsByBoard({ rack1: 'b001-b040', edge: 'b100,b039', gpu: '2' }, DESK);
  assert.equal(tags.b039, ['rack1', 'edge']);
  assert.equal(tags.b001, ['rack1', 'gpu']);
  const tagsOf = (b: string) => tags[b] ?? [];
  assert.is(resolveBoardSet('tag:rack1', DESK, tagsOf).length, 40);
  assert.equal(resolveBoardSet('tag:edge,b050', DESK, tagsOf), ['b039', 'b050', 'b100']);
  assert.equal(resolveBoardSet('tag:gpu,tag:edge', DESK, tagsOf), ['b001', 'b002', 'b039', 'b100']);
  assert.throws(() => resolveBoardSet('tag:nope', DESK, tagsOf), /no board has tag "nope"/);
  assert.throws(() => tagsByBoard({ bad: 'b500' }, DESK), /no board "b500"/);
});

test('plans: the default plan parses; durations; every mistake names its field', () => {
  const plan = parsePlan(readFileSync('plans/default.yaml', 'utf8'), 'plans/default.yaml');
  assert.is(plan.guests.perBoard, 16);
  assert.equal(plan.guests.ramp, { batch: 4, every: 1000 });
  assert.is(plan.hold, 20_000);
  assert.equal([parseDuration('500ms'), parseDuration('2m'), parseDuration(3), parseDuration('soon')], [500, 120_000, 3000, undefined]);
  const minimal = parsePlan('name: x\n', 'x.yaml');
  assert.equal([minimal.boards, minimal.guests.perBoard, minimal.repetitions, minimal.telemetry.periodS], ['all', 0, 1, 1]);
  for (const [text, re] of [
    ['hold: soon', /hold: must be a duration/],
    ['guests: { perBoard: -1 }', /guests\.perBoard/],
    ['guests: { perBoard: 2, profile: heavy }', /guests\.profile/],
    ['repetitions: 0', /repetitions/],
    ['colour: red', /colour/],
    ['boards: [1, 2', /not valid YAML/],
  ] as const) {
    try {
      parsePlan(text, 'p.yaml');
      assert.unreachable(text);
    } catch (e) {
      assert.instance(e, PlanError);
      assert.match((e as Error).message, re);
    }
  }
});

const planError = (text: string): PlanError => {
  try {
    parsePlan(text, 'p.yaml');
  } catch (e) {
    assert.instance(e, PlanError);
    return e as PlanError;
  }
  throw new Error(`plan ${JSON.stringify(text)} was accepted`);
};

test('plans: a root that is not a mapping is refused, not run as every default (which power-cycles every board)', () => {
  for (const [text, root] of [['[]', /a list/], ['- boards: all\n', /a list/], ['42', /a number \(42\)/], ['"hold: 5s"', /a string/], ['true', /a boolean/], ['', /empty/], ['# nothing\n', /empty/]] as const) {
    const e = planError(text);
    assert.is(e.problems.length, 1, text);
    assert.match(e.message, root);
    assert.match(e.message, /must be a mapping of fields/);
  }
  assert.is(parsePlan('{}', 'p.yaml').reboot, true, 'an explicit empty mapping still means every default');
});

test('plans: several wrong fields are all named at once, each with its path', () => {
  const e = planError('hold: soon\nrepetitions: 0\ncolour: red\nsize: 3\nguests: { perBoard: -1.5, profile: heavy, colour: blue }\nboards: [1]\ntelemetry: { periodS: 0 }\n');
  const fields = e.problems.map((p) => p.slice(0, p.indexOf(':')));
  assert.equal(fields.sort(), ['boards', 'colour', 'guests.colour', 'guests.perBoard', 'guests.profile', 'hold', 'repetitions', 'size', 'telemetry.periodS']);
  assert.match(e.message, /^plan p\.yaml has 9 problems:\n {2}/);
  assert.match(e.message, /guests\.perBoard: Invalid integer[^\n]*; Invalid value: Expected >=0/, 'two problems of one field share its line');
  assert.match(e.message, /guests\.colour: not a plan field \(known here: perBoard, image, profile, command, networks, ramp\)/);
  assert.match(e.message, /\n {2}hold: must be a duration/);
});

test.run();
