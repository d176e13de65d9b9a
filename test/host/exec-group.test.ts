/**
 * Grouping exec replies and writing board lists short: identical results once, failures by
 * name, ranges that read back through the board-set parser as the very same boards.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ExecResult } from '../../broker/contract/commands/exec.ts';
import { decodeResult, type CommandReply, type CommandResult } from '../../broker/contract/commands/index.ts';
import { RequestTimeoutError, ResultError } from '../../host/client/request.ts';
import { resolveBoardSet } from '../../host/client/board-set.ts';
import { compressBoardList, compressGuestList } from '../../host/exec/board-ranges.ts';
import { describeResult, groupReplies, type ExecOutcome } from '../../host/exec/group-replies.ts';
import { renderJson, renderText } from '../../host/exec/render-groups.ts';
import { noReply, outcomesOfReply } from '../../host/exec/reply-outcomes.ts';

const ok = (stdout: string, more: Partial<ExecResult> = {}): ExecResult =>
  ({ exitCode: 0, signal: null, stdout, stderr: '', truncated: false, elapsedMs: 5, timedOut: false, ...more });
const ids = (prefix: string, from: number, to: number, width = 3) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${String(from + i).padStart(width, '0')}`);

test('board lists compress into ranges of three or more', () => {
  assert.is(compressBoardList(['b001', 'b002', 'b003', 'b100']), 'b001-b003,b100');
  assert.is(compressBoardList(['b01', 'b02', 'b04', 'b05', 'b06']), 'b01,b02,b04-b06');
  assert.is(compressBoardList(['b9', 'b10', 'b11']), 'b9-b11');
  assert.is(compressBoardList(['b09', 'b010', 'b011']), 'b09,b010,b011', 'written differently: no range');
  assert.is(compressBoardList(['a1', 'a2', 'b3', 'b4', 'b5']), 'a1,a2,b3-b5');
  assert.is(compressBoardList(['gw', 'b001', 'b002', 'b003', 'hub']), 'gw,b001-b003,hub');
  assert.is(compressBoardList(['b07']), 'b07');
  assert.is(compressBoardList([]), '');
});

test('a compressed list reads back as the same boards, in desk order', () => {
  const desk = [...ids('b', 1, 497), 'gw', ...ids('node-', 1, 5, 1)];
  const picks = [
    [...ids('b', 1, 80), 'b100'],
    [...ids('b', 1, 80), ...ids('b', 100, 497)],
    ['b007'],
    ['b001', 'b002', 'gw', 'node-1', 'node-2', 'node-3', 'node-5'],
    desk.filter((_, i) => i % 3 !== 1),
  ];
  for (const boards of picks) {
    const text = compressBoardList(boards);
    assert.equal(resolveBoardSet(text, desk), boards, text);
  }
  assert.is(compressBoardList([...ids('b', 1, 80), ...ids('b', 100, 497)]), 'b001-b080,b100-b497');
  assert.is(compressBoardList(['node-1', 'node-2', 'node-3']), 'node-1-node-3');
  assert.is(compressBoardList(['rack1-b01', 'rack1-b02', 'rack1-b03']), 'rack1-b01,rack1-b02,rack1-b03', 'a digit in the prefix: no range the parser would take');
});

test('guest lists compress per board, for reading', () => {
  assert.is(compressGuestList(['b01-g0000', 'b01-g0001', 'b01-g0002', 'b02-g0000', 'b02-g0001']), 'b01-g0000-b01-g0002,b02-g0000,b02-g0001');
});

test('identical results form one group in desk order; failures are listed per board', () => {
  const outcomes: ExecOutcome[] = [
    { target: 'b001', result: ok('Linux\n') },
    { target: 'b002', result: ok('Linux\n', { elapsedMs: 70 }) },
    { target: 'b003', result: ok('', { exitCode: 2, stderr: 'no\n' }) },
    { target: 'b004', failure: 'no reply within 15 s' },
    { target: 'b005', result: ok('', { exitCode: null, signal: 'SIGKILL', timedOut: true, elapsedMs: 10_004 }) },
    { target: 'b006', result: ok('Linux\n') },
    { target: 'b007', result: ok('', { exitCode: null, error: 'spawn nope ENOENT' }) },
  ];
  const g = groupReplies(outcomes);
  assert.equal(g.groups.map((x) => [x.targets, x.result.stdout, x.result.exitCode]), [
    [['b001', 'b002', 'b006'], 'Linux\n', 0],
    [['b003'], '', 2],
    [['b005'], '', null],
    [['b007'], '', null],
  ]);
  assert.equal(g.failed, [
    { target: 'b003', reason: 'exit 2' },
    { target: 'b004', reason: 'no reply within 15 s' },
    { target: 'b005', reason: 'timed out after 10 s' },
    { target: 'b007', reason: 'could not run: spawn nope ENOENT' },
  ]);
  assert.is(g.total, 7);
  assert.is(describeResult({ exitCode: null, signal: 'SIGSEGV', timedOut: false }), 'killed by SIGSEGV');
});

test('edge cases: nothing, one board, empty output, output that differs only in stderr', () => {
  assert.equal(groupReplies([]), { groups: [], failed: [], total: 0 });
  const one = groupReplies([{ target: 'gw', result: ok('') }]);
  assert.equal([one.groups.length, one.groups[0]!.targets, one.failed], [1, ['gw'], []]);
  const split = groupReplies([{ target: 'b1', result: ok('x', { stderr: 'a' }) }, { target: 'b2', result: ok('x', { stderr: 'b' }) }]);
  assert.is(split.groups.length, 2);
});

test('replies become outcomes: results, guests, error replies, garbage, silence', () => {
  const reply = (result: CommandResult<'exec'>): CommandReply<'exec'> => ({ ok: true, result });
  assert.equal(outcomesOfReply('b01', reply(ok('hi')), false), [{ target: 'b01', result: ok('hi') }]);
  assert.equal(outcomesOfReply('b01', reply({ guests: [{ id: 'b01-g0000', ...ok('g') }] }), true), [{ target: 'b01-g0000', result: ok('g') }]);
  assert.equal(outcomesOfReply('b01', reply({ guests: [] }), true), [{ target: 'b01', failure: 'no guest running' }]);
  assert.equal(outcomesOfReply('b01', { ok: false, error: { code: 'unknown-op', message: 'unknown op "exec"' } }, false),
    [{ target: 'b01', failure: 'unknown-op: unknown op "exec"' }]);
  // A result that breaks the contract is refused at the edge: the request rejects with a ResultError.
  const garbled = decodeResult('exec', { pong: true });
  assert.ok(!garbled.ok);
  assert.match((noReply('b01', new ResultError('b01', 'exec', garbled.ok ? '' : garbled.reason)) as { failure: string }).failure, /^unexpected exec result: exitCode/);
  assert.match((outcomesOfReply('b01', reply(ok('one')), true)[0] as { failure: string }).failure, /^unexpected exec result: one result, not one per guest/);
  assert.equal(noReply('b02', new RequestTimeoutError('b02', 'exec', 15_000)), { target: 'b02', failure: 'no reply within 15 s' });
});

test('text and JSON renderings', () => {
  const g = groupReplies([
    { target: 'b01', result: ok('Linux\n') }, { target: 'b02', result: ok('Linux\n') }, { target: 'b03', result: ok('Linux\n') },
    { target: 'b04', result: ok('', { exitCode: 1, stderr: 'bad', truncated: true }) },
  ]);
  assert.is(renderText(g, { guests: false, boards: ['b01', 'b02', 'b03', 'b04'] }), [
    '── 3 boards: b01-b03 (exit 0)', 'Linux', '── 1 board: b04 (exit 1)', '·· stderr', 'bad', '(output truncated)',
    'failed:', '  b04: exit 1', '4 boards: 3 ok, 1 failed', ''].join('\n'));
  const json = renderJson(g, { guests: false, boards: ['b01', 'b02', 'b03', 'b04'] });
  const guests = groupReplies([{ target: 'b01-g0000', result: ok('') }, { target: 'b01-g0001', result: ok('', { exitCode: 3 }) }, { target: 'b02', failure: 'no guest running' }]);
  assert.match(renderText(guests, { guests: true, boards: ['b01', 'b02'] }), /\n2 guests on 2 boards: 1 ok, 1 failed, 1 board failed as a whole\n$/);
  assert.equal([json.ok, json.targets, json.succeeded, json.groups[0]!.compressed, json.groups[0]!.targets, json.failed.length], [false, 4, 3, 'b01-b03', ['b01', 'b02', 'b03'], 1]);
});

test.run();
