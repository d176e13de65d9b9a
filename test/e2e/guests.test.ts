/**
 * Guests on a simulated desk, as a user drives them: the CLI over MQTT, real crun containers,
 * an agent killed with SIGKILL that adopts its guests when it comes back, and nothing left
 * (containers, processes, mounts, cgroups, RAM state) after `desk down`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deskLayout } from '../../host/locations/layout.ts';
import { waitFor } from '../support/wait.ts';
import { deskbox, processesMentioning } from '../support/deskbox.ts';
import { withDesk } from '../support/desk.ts';

/** Cgroup folders anywhere under /sys/fs/cgroup whose name holds `needle` (bounded depth). */
async function cgroupsNamed(needle: string, dir = '/sys/fs/cgroup', depth = 4): Promise<string[]> {
  if (depth === 0) return [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const path = join(dir, e.name);
    if (e.name.includes(needle)) found.push(path);
    else found.push(...(await cgroupsNamed(needle, path, depth - 1)));
  }
  return found;
}

test('guests on a desk: start on all boards, survive an agent crash, gone after desk down', () => withDesk('deskbox-e2e-guests-', async (desk) => {
  const state = desk.state;
  const ram = deskLayout(state).ramDir;
  await desk.up({ boards: 2, restartDelay: 1, maxGuests: 40 });
  const started = JSON.parse((await deskbox(['guests', 'start', '--boards', 'all', '--count', '20', '--state', state, '--json'])).stdout) as { board: string; ok: boolean; result: { ready: number; bootMs: { p50: number }; board: { runtime: string } } }[];
  assert.equal(started.map((s) => [s.board, s.ok, s.result.ready, s.result.board.runtime]), [['b01', true, 20, 'crun'], ['b02', true, 20, 'crun']]);
  // Without --json, a table on stdout; the progress (a bar on a terminal) ends in one line on stderr.
  const full = await deskbox(['guests', 'start', '--boards', 'b02', '--count', '2', '--profile', 'full', '--state', state]);
  assert.match(full.stdout, /│ b02\s+│ 2\s+│ 2\s+│ 0\s+│/);
  assert.match(full.stderr, /^guests +2\/2 guests in \d+\.\d s$/m);

  // Over the cap: a clear error, exit code 1, and the board keeps its guests.
  const over = await deskbox(['guests', 'start', '--boards', 'b01', '--count', '30', '--state', state]).then(() => undefined, (e: Error) => e);
  assert.match(String(over?.message), 'cap of 40');

  // SIGKILL the agent of b01: its init brings it back and it adopts its 20 guests.
  const status = JSON.parse((await deskbox(['desk', 'status', '--state', state, '--json'])).stdout);
  process.kill(status.groups[0].processes[0].pid, 'SIGKILL');
  await waitFor(async () => {
    const ls = JSON.parse((await deskbox(['guests', 'ls', '--boards', 'b01', '--state', state, '--json']).catch(() => ({ stdout: '[]' }))).stdout);
    return ls[0]?.ok === true && ls[0].result.board.ready === 20;
  }, { timeoutMs: 20_000, what: 'b01 back with its 20 guests adopted' });
  const log = await readFile(join(state, 'logs', 'agent-b01.log'), 'utf8');
  assert.match(log, /"adopted":20/);

  const stopped = JSON.parse((await deskbox(['guests', 'stop', '--boards', 'b02', '--count', '2', '--state', state, '--json'])).stdout);
  assert.equal([stopped[0].result.stopped, stopped[0].result.board.running], [2, 20]);

  const boards = JSON.parse((await deskbox(['boards', '--state', state, '--json'])).stdout);
  assert.ok(boards.boards.every((b: { state: string }) => b.state === 'online'));

  await desk.down();
  assert.equal(await processesMentioning('2147483647'), [], 'no guest process left');
  assert.not.ok(existsSync(ram), 'the desk\'s RAM state folder is gone');
  assert.not.ok((await readFile('/proc/self/mountinfo', 'utf8')).includes(ram), 'no mount left under it');
  assert.equal(await cgroupsNamed('-g000'), [], 'no guest cgroup left');
}));

test.run();
