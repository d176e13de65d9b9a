/**
 * The command catalogue (broker/contract/commands): docs/mqtt.md's op table lists exactly its
 * ops, every op says what it does, arguments get their defaults and the bad-args messages
 * boards have always sent, and results that break the contract are refused with what is wrong.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { COMMAND_OPS, COMMANDS, decodeResult, isCommandOp, parseArgs } from '../../broker/contract/commands/index.ts';

const MQTT_DOC = new URL('../../docs/mqtt.md', import.meta.url);

/** The ops of a markdown table headed `| op | args | result |`, in its order. */
function documentedOps(markdown: string): string[] {
  const lines = markdown.split('\n');
  const head = lines.findIndex((l) => /^\|\s*op\s*\|\s*args\s*\|\s*result\s*\|\s*$/.test(l));
  if (head < 0) throw new Error('no `| op | args | result |` table');
  const ops: string[] = [];
  // The op cell comes before any escaped `\|` of the args and result cells.
  for (const row of lines.slice(head + 2)) {
    if (!row.startsWith('|')) break;
    const cell = row.split('|')[1]!.trim();
    ops.push(/^`([^`]+)`$/.exec(cell)?.[1] ?? cell);
  }
  return ops;
}

/** What the test reports: ops the doc lists that the catalogue lacks, and the other way round. */
function mismatch(documented: readonly string[], catalogue: readonly string[]) {
  return {
    notInCatalogue: documented.filter((op) => !catalogue.includes(op)),
    notDocumented: catalogue.filter((op) => !documented.includes(op)),
    listedTwice: documented.filter((op, i) => documented.indexOf(op) !== i),
  };
}

test('docs/mqtt.md\'s op table lists every op of the catalogue, and nothing else', () => {
  const documented = documentedOps(readFileSync(MQTT_DOC, 'utf8'));
  assert.equal(mismatch(documented, COMMAND_OPS), { notInCatalogue: [], notDocumented: [], listedTwice: [] });
});

test('the table check sees an op missing on either side', () => {
  const table = (...ops: string[]) => ['text', '', '| op | args | result |', '|---|---|---|', ...ops.map((op) => `| \`${op}\` | - | \`{a \\| b}\` |`), '', 'more text'].join('\n');
  assert.equal(documentedOps(table('ping', 'led')), ['ping', 'led']);
  assert.equal(mismatch(documentedOps(table('ping', 'self-destruct')), ['ping', 'led']), { notInCatalogue: ['self-destruct'], notDocumented: ['led'], listedTwice: [] });
  assert.equal(mismatch(documentedOps(table('ping', 'ping')), ['ping']).listedTwice, ['ping']);
  assert.throws(() => documentedOps('| name | value |\n|---|---|\n| `ping` | 1 |'), /no `\| op \| args \| result \|` table/);
});

test('every op says what it does; op names are what the wire carries', () => {
  assert.equal([...COMMAND_OPS].sort(), [
    'exec', 'guests.ls', 'guests.start', 'guests.stop', 'health.check', 'identify', 'images.gc', 'images.install', 'images.ls', 'images.rm',
    'info', 'led', 'net.apply', 'net.down', 'net.ls', 'net.probe', 'ping', 'push.done', 'push.fetch', 'reboot', 'telemetry.period',
  ]);
  for (const op of COMMAND_OPS) assert.ok(COMMANDS[op].summary.length > 10, `${op} has a summary`);
  assert.ok(isCommandOp('guests.start'));
  assert.not.ok(isCommandOp('guests.frobnicate'));
  assert.not.ok(isCommandOp('toString'), 'inherited names are not ops');
});

test('arguments: defaults filled in, absent arguments are {}, extra fields of no-argument ops ignored', () => {
  assert.equal(parseArgs('guests.start', { count: 2 }), { ok: true, args: { count: 2, image: 'busybox', waitS: 60 } });
  assert.equal(parseArgs('exec', { argv: ['true'] }), { ok: true, args: { argv: ['true'], timeoutS: 10, guests: false } });
  assert.equal(parseArgs('ping', undefined), { ok: true, args: {} });
  assert.equal(parseArgs('images.ls', { verbose: true }), { ok: true, args: {} });
  assert.equal(parseArgs('guests.stop', { all: true }), { ok: true, args: { all: true } });
});

test('bad arguments: the messages boards have always sent', () => {
  const reason = (op: Parameters<typeof parseArgs>[0], args: unknown) => {
    const r = parseArgs(op, args);
    return r.ok ? 'accepted' : r.reason;
  };
  assert.is(reason('led', { mode: 'disco' }), 'led needs args.mode, one of heartbeat, on, off');
  assert.is(reason('led', undefined), 'led needs args.mode, one of heartbeat, on, off');
  for (const seconds of [0, 3601, 1.5, '5', undefined]) {
    assert.is(reason('telemetry.period', { seconds }), 'telemetry.period needs args.seconds, an integer from 1 to 3600', String(seconds));
  }
  assert.match(reason('guests.start', { count: -1 }), /^count: /);
  assert.match(reason('images.install', {}), /^url: /);
  assert.match(reason('images.rm', { name: '../etc' }), /^name: must be an image name/);
  assert.match(reason('exec', { argv: ['true'], stdin: 'x' }), /stdin/);
  assert.match(reason('push.done', { id: 'nope' }), /^id: must be 16 lower-case hex digits/);
});

test('results: checked against the op\'s schema, what is wrong named; exec told apart by shape', () => {
  assert.equal(decodeResult('ping', { pong: true, at: 5 }), { ok: true, value: { pong: true, at: 5 } });
  assert.equal(decodeResult('ping', { pong: false, at: 5 }).ok, false);
  const garbled = decodeResult('guests.ls', { board: { running: 1, failed: 0 }, guests: [{ id: 'g', phase: 'dancing', restarts: 0, pid: null }] });
  assert.ok(!garbled.ok && /^guests\.0\.phase: /.test(garbled.reason), JSON.stringify(garbled));
  const one = { exitCode: 0, signal: null, stdout: '', stderr: '', truncated: false, elapsedMs: 1, timedOut: false };
  assert.ok(decodeResult('exec', one).ok);
  assert.ok(decodeResult('exec', { guests: [{ id: 'b01-g0000', ...one }] }).ok);
  const pong = decodeResult('exec', { pong: true });
  assert.ok(!pong.ok && /^exitCode: /.test(pong.reason), JSON.stringify(pong));
  const badGuest = decodeResult('exec', { guests: [{ id: 'g' }] });
  assert.ok(!badGuest.ok && /^guests\.0\.exitCode: /.test(badGuest.reason), JSON.stringify(badGuest));
});

test.run();
