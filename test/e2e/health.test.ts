/**
 * The desk's health service end to end, through the built CLI on a simulated desk whose boards
 * check themselves every 2 s: b02's active slot rots (a flipped byte, put in place by rename as
 * the flash would be replaced on a real board), its self-checks fail, the desk quarantines it,
 * recovers it by itself (power cycle, then a reflash of the desk's board image over its
 * console) and re-admits it after passing checks. Meanwhile a board set (`exec all`) leaves it
 * out and names it. `health history` shows every step with its evidence; `desk down` leaves
 * nothing running.
 *   npm run build && node --import tsx node_modules/uvu/bin.js test/e2e health
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Desk } from '../support/desk.ts';
import { deskbox, processesMentioning, runDeskbox } from '../support/deskbox.ts';
import { waitFor } from '../support/wait.ts';

let desk: Desk;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-health-');
});

test.after(async () => {
  await desk.close();
});

type Verdict = { board: string; state: string; reason: string };
const verdicts = async (): Promise<Map<string, Verdict>> =>
  new Map((JSON.parse((await deskbox(['health', '--state', desk.state, '--json'])).stdout) as Verdict[]).map((v) => [v.board, v]));

test('a rotten slot: quarantined, left out of board sets, recovered by reflash, re-admitted', () => desk.withLogs(async () => {
  await desk.up({ boards: 2, baud: 3_000_000, latency: 1, args: ['--health-schedule', '*/2 * * * * *', '--health-threshold', 'passesToAdmit=2', '--recovery-timeout', '30'] });
  const slot = join(desk.state, 'boards', 'b02', 'hw', 'flash', 'slot-a.dbi');
  const bytes = await readFile(slot);
  const mid = bytes.length >> 1;
  bytes.writeUInt8(bytes.readUInt8(mid) ^ 0xff, mid);
  await writeFile(`${slot}.rot`, bytes);
  const rotAt = Date.now();
  await rename(`${slot}.rot`, slot);

  const seen = new Set<string>();
  await waitFor(async () => {
    const s = (await verdicts()).get('b02')!.state;
    seen.add(s);
    return s === 'quarantined' || s === 'recovering';
  }, { timeoutMs: 30_000, pollMs: 250, what: 'b02 quarantined' });
  const quarantinedMs = Date.now() - rotAt;

  const exec = await runDeskbox(['exec', 'all', '--state', desk.state, '--json', '--', 'true']);
  assert.match(exec.stderr, /left out, out of service: b02 \((quarantined|recovering): /);
  const ran = JSON.parse(exec.stdout) as { boards: number; groups: { targets: string[] }[] };
  assert.equal([ran.boards, ran.groups.flatMap((g) => g.targets)], [1, ['b01']], 'exec ran on b01 alone');

  await waitFor(async () => {
    const v = (await verdicts()).get('b02')!;
    seen.add(v.state);
    return v.state === 'healthy' && v.reason.startsWith('re-admitted');
  }, { timeoutMs: 240_000, pollMs: 1000, what: () => `b02 re-admitted (seen: ${[...seen].join(', ')})` });
  const readmittedMs = Date.now() - rotAt;
  assert.is((await verdicts()).get('b01')!.state, 'healthy');

  const history = (await deskbox(['health', 'history', 'b02', '--state', desk.state])).stdout;
  assert.match(history, /healthy -> suspect: self-check failed: slot/);
  assert.match(history, /suspect -> quarantined: 2 failed self-checks in a row/);
  assert.match(history, /quarantined -> recovering: recovery started: power-cycle, reflash/);
  assert.match(history, /recovering -> healthy: re-admitted after 2 passing checks/);
  console.log(`  rotten slot: quarantined ${(quarantinedMs / 1000).toFixed(1)} s after the rot, re-admitted ${(readmittedMs / 1000).toFixed(1)} s after it`);

  await deskbox(['desk', 'down', '--state', desk.state], 120_000);
  assert.equal(await processesMentioning(desk.state), [], 'nothing of the desk left running');
}));

test.run();
