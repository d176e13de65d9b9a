/**
 * The desk's health service end to end, through the built CLI on a simulated desk whose boards
 * check themselves every 2 s, one board per process:
 * - b02's active slot rots (a flipped byte, put in place by rename as the flash would be
 *   replaced on a real board): its self-checks fail, the desk quarantines it, recovers it by
 *   itself (power cycle, then a reflash of the desk's board image over its console) and
 *   re-admits it after passing checks; meanwhile a board set (`exec all`) leaves it out and names
 *   it, and so does an experiment started then (`deskbox run`, its run.json);
 * - b03 crashes three times (its process SIGKILLed): quarantined, power-cycled, re-admitted;
 * - b05's guests all fail: its guest runtime's state in RAM is corrupt (a file where its bundles
 *   folder belongs), so every launch fails; four guests asked for right after one of its
 *   self-checks fail before its next two checks (whose probe guest fails too) can, so the guests'
 *   events quarantine it on their failure rate; power-cycled (a board's RAM goes with its
 *   power), re-admitted on checks whose probe guests launch again;
 * - b04's slot rots and its console adapter is pulled: every recovery fails, and it is retired
 *   with the reason.
 * b01 stays healthy throughout. `health history` shows every step with its evidence; `desk down`
 * leaves nothing running.
 *   npm run build && node --import tsx node_modules/uvu/bin.js test/e2e health
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { boardTopic } from '../../broker/contract/topics.ts';
import { resolveAccess } from '../../host/client/access.ts';
import { connectToDesk } from '../../host/client/connect.ts';
import { createRequester } from '../../host/client/request.ts';
import { deskLayout } from '../../host/locations/layout.ts';
import { Desk } from '../support/desk.ts';
import { deskbox, processesMentioning, runDeskbox } from '../support/deskbox.ts';
import { waitFor } from '../support/wait.ts';

let desk: Desk;
let client: MqttClient | undefined;

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-health-');
});

test.after(async () => {
  await client?.endAsync();
  await desk.close();
});

type Verdict = { board: string; state: string; reason: string };
const verdicts = async (): Promise<Map<string, Verdict>> =>
  new Map((JSON.parse((await deskbox(['health', '--state', desk.state, '--json'])).stdout) as Verdict[]).map((v) => [v.board, v]));

/** Flips a byte in the middle of the board's active slot, replacing the file (it is a hard link to the desk's image). */
async function rot(board: string): Promise<void> {
  const slot = join(desk.state, 'boards', board, 'hw', 'flash', 'slot-a.dbi');
  const bytes = await readFile(slot);
  const mid = bytes.length >> 1;
  bytes.writeUInt8(bytes.readUInt8(mid) ^ 0xff, mid);
  await writeFile(`${slot}.rot`, bytes);
  await rename(`${slot}.rot`, slot);
}

/** Files where the board's guest runtime keeps its guests' folders in its RAM (crun's `bundles`, the plain runtime's `process`): no guest launches. */
async function corruptGuestRuntime(board: string): Promise<void> {
  for (const folder of ['bundles', 'process']) {
    const path = join(deskLayout(desk.state).board(board).ramStateDir, folder);
    await rm(path, { recursive: true, force: true });
    await writeFile(path, 'debris');
  }
}

/** Resolves once `board` published a self-check report made after the call: its next one is a period away. */
async function afterSelfCheck(client: MqttClient, deskId: string, board: string): Promise<void> {
  const topic = boardTopic(deskId, board, 'health');
  const since = Date.now();
  let fresh = false;
  const onMessage = (t: string, payload: Buffer) => { if (t === topic && (JSON.parse(payload.toString()) as { at: number }).at > since) fresh = true; };
  client.on('message', onMessage);
  try {
    await client.subscribeAsync(topic, { qos: 1 });
    await waitFor(() => fresh, { timeoutMs: 30_000, what: `a self-check report from ${board}` });
  } finally {
    client.off('message', onMessage);
    await client.unsubscribeAsync(topic);
  }
}

type Transition = { at: number; from: string; to: string; reason: string; evidence: { kind: string; ok?: boolean }[] };
const transitions = async (board: string) => JSON.parse((await deskbox(['health', 'history', board, '--state', desk.state, '--json'])).stdout) as Transition[];
const secondsSince = (from: number, t: Transition | undefined) => (t ? `${((t.at - from) / 1000).toFixed(1)} s` : 'never');

type Status = { groups: { boards: string[]; processes: { pid: number }[] }[] };
const boardPid = async (board: string) => {
  const status = JSON.parse((await deskbox(['desk', 'status', '--state', desk.state, '--json'])).stdout) as Status;
  return status.groups.find((g) => g.boards.includes(board))?.processes[0]?.pid;
};

test('a rotten slot, a crash loop and failing guests recovered and re-admitted; a board that cannot be recovered retired', () => desk.withLogs(async () => {
  await desk.up({ boards: 5, boardsPerProcess: 1, baud: 3_000_000, latency: 1, args: [
    '--health-schedule', '*/2 * * * * *', '--health-threshold', 'passesToAdmit=2', '--health-threshold', 'recoveriesToRetire=2', '--recovery-timeout', '15', '--restart-delay', '1',
  ] });
  const rotAt = Date.now();
  await rot('b02');
  await rot('b04');
  await deskbox(['desk', 'link', 'b04', '--unplug-adapter', '--state', desk.state]);
  // In process, not through the CLI: the guests must fail within the period after b05's check.
  const access = await resolveAccess({ state: desk.state }, 'host');
  client = await connectToDesk(access, 'e2e-health');
  const request = createRequester(client, access.desk);
  const waitedFrom = Date.now();
  await afterSelfCheck(client, access.desk, 'b05');
  const guestFaultAt = Date.now();
  console.log(`  b05's next self-check report came ${((guestFaultAt - waitedFrom) / 1000).toFixed(1)} s after asking`);
  await corruptGuestRuntime('b05');
  const launch = await request('b05', 'guests.start', { count: 4, image: 'busybox', waitS: 5 }, 30_000);
  assert.ok(!launch.ok && /^no guest started: .*ENOTDIR/.test(launch.error.message), `b05's guest launches fail: ${JSON.stringify(launch)}`);
  // b03 crashes three times, each once it is back online.
  void (async () => {
    for (let i = 0; i < 3; i++) {
      const pid = await waitFor(async () => ((await verdicts()).get('b03')?.state !== 'quarantined' ? boardPid('b03') : undefined), { timeoutMs: 30_000, what: 'b03 running' });
      process.kill(pid, 'SIGKILL');
      await waitFor(async () => (await boardPid('b03')) !== pid, { timeoutMs: 30_000, what: 'b03 restarted' });
      await new Promise((r) => setTimeout(r, 3000)); // online again (its status) before the next crash
    }
  })().catch((e: Error) => console.log(`  crashing b03: ${e.message}`));

  const seen = new Set<string>();
  await waitFor(async () => {
    const s = (await verdicts()).get('b02')!.state;
    seen.add(s);
    return s === 'quarantined' || s === 'recovering';
  }, { timeoutMs: 30_000, pollMs: 250, what: 'b02 quarantined' });
  const quarantinedMs = Date.now() - rotAt;

  const exec = await runDeskbox(['exec', 'all', '--state', desk.state, '--json', '--', 'true']);
  assert.match(exec.stderr, /left out, out of service: .*b02 \((quarantined|recovering): /);
  const ran = JSON.parse(exec.stdout) as { boards: number; groups: { targets: string[] }[] };
  const targets = ran.groups.flatMap((g) => g.targets);
  assert.ok(targets.includes('b01') && !targets.includes('b02'), `exec ran on ${targets.join(', ')}: b01, not b02`);

  // An experiment started meanwhile runs on the boards in service and names the others.
  const plan = join(desk.state, 'meanwhile.yaml');
  await writeFile(plan, 'name: meanwhile\nboards: all\nreboot: false\nidle: 1s\nhold: 2s\n');
  const run = JSON.parse((await deskbox(['run', plan, '--state', desk.state, '--out', join(desk.state, 'runs'), '--json'], 120_000)).stdout) as { bundle: string };
  const record = JSON.parse(await readFile(join(run.bundle, 'run.json'), 'utf8')) as { boards: string[]; leftOut: { board: string; reason: string }[] };
  assert.ok(!record.boards.includes('b02') && record.boards.includes('b01'), `the run's boards: ${record.boards.join(', ')}`);
  assert.match(record.leftOut.find((l) => l.board === 'b02')?.reason ?? 'not named', /^(quarantined|recovering): /);

  let last = new Map<string, Verdict>();
  const final = await waitFor(async () => {
    const v = (last = await verdicts());
    seen.add(v.get('b02')!.state);
    const admitted = (b: string) => v.get(b)!.state === 'healthy' && v.get(b)!.reason.startsWith('re-admitted');
    return admitted('b02') && admitted('b03') && admitted('b05') && v.get('b04')!.state === 'retired' ? v : undefined;
  }, { timeoutMs: 300_000, pollMs: 1000, what: () => `b02, b03, b05 re-admitted and b04 retired (${[...last.values()].map((v) => `${v.board} ${v.state}: ${v.reason}`).join('; ')})` });
  const readmittedMs = Date.now() - rotAt;
  assert.is(final.get('b01')!.state, 'healthy');
  assert.match(final.get('b04')!.reason, /^2 recoveries failed; last: reflash: /);

  // Boards passing checks while healthy have their known-good image kept, one copy for all (b02
  // and b04 rotted before their first check).
  const knownGoodFile = join(desk.state, 'known-good', 'boards.json');
  let knownGood: Record<string, { sha256: string }> = {};
  await waitFor(async () => {
    knownGood = JSON.parse(await readFile(knownGoodFile, 'utf8').catch(() => '{}')) as typeof knownGood;
    return ['b01', 'b03', 'b05'].every((b) => knownGood[b]);
  }, { timeoutMs: 20_000, what: () => `known-good images of b01, b03, b05 (kept: ${Object.keys(knownGood).join(', ')})` });
  assert.equal(new Set(Object.values(knownGood).map((k) => k.sha256)).size, 1);

  const history = (await deskbox(['health', 'history', 'b02', '--state', desk.state])).stdout;
  assert.match(history, /healthy -> suspect: self-check failed: slot/);
  assert.match(history, /suspect -> quarantined: 2 failed self-checks in a row/);
  assert.match(history, /quarantined -> recovering: recovery started: power-cycle, reflash/);
  assert.match(history, /recovering -> healthy: re-admitted after 2 passing checks/);
  const b03 = (await deskbox(['health', 'history', 'b03', '--state', desk.state])).stdout;
  assert.match(b03, /quarantined: crashed or restarted 3 times within 10 min/);
  assert.match(b03, /recovering -> healthy: re-admitted after 2 passing checks/);
  const b05 = await transitions('b05');
  const b05Quarantined = b05.find((t) => t.to === 'quarantined');
  const b05Admitted = b05.find((t) => t.from === 'recovering' && t.to === 'healthy');
  assert.is(b05Quarantined?.reason, '4 of 4 guest launches failed', `b05's transitions: ${JSON.stringify(b05)}`);
  assert.match(b05Admitted?.reason ?? 'not re-admitted', /^re-admitted after 2 passing checks/);
  // Cured, not just re-admitted: the last checks, which re-admitted it, launched a probe guest
  // each, which fails while its runtime's state is corrupt (its RAM went with the power).
  const b05Checks = b05Admitted?.evidence.filter((e) => e.kind === 'check') ?? [];
  assert.ok(b05Checks.length >= 2 && b05Checks.slice(-2).every((e) => e.ok), `the checks that re-admitted b05: ${JSON.stringify(b05Checks)}`);
  console.log(`  rotten slot: quarantined ${(quarantinedMs / 1000).toFixed(1)} s after the rot; b02, b03, b05 re-admitted and b04 retired ${(readmittedMs / 1000).toFixed(1)} s after it`);
  for (const board of ['b02', 'b03', 'b04']) {
    const steps = await transitions(board);
    console.log(`  ${board}: ${steps.map((t) => `${t.to} ${secondsSince(rotAt, t)}`).join(', ')} after the rot`);
  }
  console.log(`  guests all failing (b05): quarantined ${secondsSince(guestFaultAt, b05Quarantined)}, re-admitted ${secondsSince(guestFaultAt, b05Admitted)} after the fault`);

  await client.endAsync();
  client = undefined;
  await deskbox(['desk', 'down', '--state', desk.state], 120_000);
  assert.equal(await processesMentioning(desk.state), [], 'nothing of the desk left running');
}));

test.run();
