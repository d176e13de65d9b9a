/**
 * The exec command for real on this machine: exit codes, stderr, the board's identity in the
 * environment, a timeout that kills a whole process group, output capped and fitted to the
 * reply limit, bad arguments refused, and what still runs killed when the agent stops.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile } from 'node:fs/promises';
import { answer, DEADLINE_GRACE_MS, handleCommand } from '../../board/commands.ts';
import { createExecCommand } from '../../board/exec/exec-command.ts';
import { clipText, fitResults, jsonBytes } from '../../board/exec/output-budget.ts';
import type { ExecResult } from '../../broker/contract/commands/exec.ts';
import { memoryLogger } from '../../platform/log.ts';
import { decode, encode, MAX_PAYLOAD_BYTES } from '../../broker/contract/messages.ts';
import { PAYLOAD_VERSION, type Reply } from '../../broker/contract/payloads.ts';
import { waitFor } from '../support/wait.ts';

const exec = createExecCommand({ desk: 'desk1', board: 'b07', logger: memoryLogger() });
const run = (args: Record<string, unknown>) => answer(exec.handlers, 'exec', args) as Promise<ExecResult>;

/** The reply a board sends for `exec` with these args, as it goes on the wire. */
async function reply(args: Record<string, unknown> | undefined): Promise<Reply> {
  const r = await handleCommand({ v: PAYLOAD_VERSION, id: 'r1', op: 'exec', ...(args ? { args } : {}) }, { handlers: exec.handlers, now: () => 0 });
  const wire = encode('reply', r);
  assert.ok(Buffer.byteLength(wire) <= MAX_PAYLOAD_BYTES, `reply of ${Buffer.byteLength(wire)} bytes`);
  const back = decode('reply', wire);
  assert.ok(back.ok);
  return r;
}

/** Pids of live processes whose command line holds `text`. */
async function processesWith(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(text)) found.push(Number(p));
  }
  return found;
}

test('a command that arrives after its sender stopped waiting is not run: expired', async () => {
  let ran = 0;
  const done: ExecResult = { exitCode: 0, signal: null, stdout: '', stderr: '', truncated: false, elapsedMs: 0, timedOut: false };
  const ctx = (now: number) => ({ now: () => now, handlers: { exec: async () => { ran++; return done; } } });
  const cmd = { v: PAYLOAD_VERSION, id: 'late', op: 'exec', args: { argv: ['true'] }, deadline: 1_000_000 } as const;
  const late = await handleCommand(cmd, ctx(1_000_000 + DEADLINE_GRACE_MS + 1));
  assert.equal([late.ok, !late.ok && late.error.code], [false, 'expired']);
  assert.match(!late.ok ? late.error.message : '', /exec arrived after its sender stopped waiting/);
  assert.is(ran, 0);
  // Within the grace (clocks of board and host may differ a little), it runs.
  assert.ok((await handleCommand(cmd, ctx(1_000_000 + DEADLINE_GRACE_MS))).ok);
  assert.is(ran, 1);
});

test('exit code, stdout and stderr apart, no shell unless asked', async () => {
  const r = await run({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
  assert.equal([r.exitCode, r.signal, r.stdout, r.stderr, r.truncated, r.timedOut], [3, null, 'out\n', 'err\n', false, false]);
  const literal = await run({ argv: ['echo', '$HOME', '*'] });
  assert.is(literal.stdout, '$HOME *\n');
  assert.is((await run({ argv: ['true'] })).exitCode, 0);
});

test('the command knows which board runs it', async () => {
  const r = await run({ argv: ['sh', '-c', 'echo "$DESKBOX_DESK/$DESKBOX_BOARD"'] });
  assert.is(r.stdout, 'desk1/b07\n');
});

test('a program that does not exist is an error result, not a thrown command', async () => {
  const r = await run({ argv: ['deskbox-no-such-program'] });
  assert.equal([r.exitCode, r.stdout], [null, '']);
  assert.match(r.error ?? '', /ENOENT/);
});

test('a timeout kills the command and its children', async () => {
  const marker = '987.6543';
  const r = await run({ argv: ['sh', '-c', `sleep ${marker} & sleep ${marker}; echo never`], timeoutS: 0.3 });
  assert.equal([r.timedOut, r.signal, r.exitCode, r.stdout], [true, 'SIGKILL', null, '']);
  assert.ok(r.elapsedMs >= 300 && r.elapsedMs < 2500, `took ${r.elapsedMs} ms`);
  await waitFor(async () => (await processesWith(marker)).length === 0, { timeoutMs: 2000, what: 'no sleep left' });
});

test('output is capped at 16 KiB a stream and marked truncated', async () => {
  const r = await run({ argv: ['sh', '-c', 'head -c 100000 /dev/urandom | base64 -w0; head -c 20 /dev/zero | tr "\\0" e >&2'] });
  assert.is(r.stdout.length, 16 * 1024);
  assert.is(r.stderr, 'e'.repeat(20));
  assert.ok(r.truncated);
});

test('output that escapes to many bytes is fitted to the payload limit', async () => {
  // Each NUL takes six bytes in JSON: 32 KiB of them would be 192 KiB on the wire.
  const r = await reply({ argv: ['sh', '-c', 'head -c 40000 /dev/zero; head -c 40000 /dev/zero >&2'] });
  assert.ok(r.ok);
  const result = (r as Extract<Reply, { ok: true }>).result as ExecResult;
  assert.ok(result.truncated);
  assert.ok(result.stdout.length > 4000 && result.stdout.length === result.stderr.length, `${result.stdout.length} / ${result.stderr.length}`);
});

test('bad arguments get a bad-args reply that says what is wrong', async () => {
  const cases: [Record<string, unknown> | undefined, RegExp][] = [
    [undefined, /argv/],
    [{ argv: [] }, /must name a program/],
    [{ argv: 'uname -a' }, /argv/],
    [{ argv: [''] }, /program name is empty/],
    [{ argv: ['true'], timeoutS: 301 }, /timeoutS/],
    [{ argv: ['true'], stdin: 'x' }, /stdin/],
    [{ argv: ['true'], guests: 'yes' }, /guests/],
  ];
  for (const [args, message] of cases) {
    const r = await reply(args);
    assert.is(r.ok, false, JSON.stringify(args));
    if (!r.ok) {
      assert.is(r.error.code, 'bad-args');
      assert.match(r.error.message, message);
    }
  }
});

test('--guests on a board without guests is a clear failure', async () => {
  const r = await reply({ argv: ['true'], guests: true });
  assert.equal(r.ok ? undefined : r.error, { code: 'failed', message: 'this board runs no guests (no guests section in its config)' });
});

test('close() kills what still runs', async () => {
  const own = createExecCommand({ desk: 'desk1', board: 'b08', logger: memoryLogger() });
  const pending = answer(own.handlers, 'exec', { argv: ['sleep', '876.5432'], timeoutS: 60 }) as Promise<ExecResult>;
  await waitFor(async () => (await processesWith('876.5432')).length === 1, { timeoutMs: 2000, what: 'sleep started' });
  own.close();
  const r = await pending;
  assert.equal([r.signal, r.timedOut], ['SIGKILL', false]);
});

test('the budget is shared fairly: short texts stay whole, long ones split the rest', () => {
  const base: ExecResult = { exitCode: 0, signal: null, stdout: '', stderr: '', truncated: false, elapsedMs: 1, timedOut: false };
  const fitted = fitResults([{ ...base, stdout: 'short' }, { ...base, stdout: 'x'.repeat(1000) }, { ...base, stderr: 'y'.repeat(1000) }], 505);
  assert.equal(fitted.map((r) => [r.stdout.length, r.stderr.length, r.truncated]), [[5, 0, false], [250, 0, true], [0, 250, true]]);
  assert.is(clipText('ab\u0000cd', 8), 'ab');
  assert.is(clipText('a\u{1F600}b', 5), 'a');
  assert.is(jsonBytes('é'), 4);
});

test.run();
