/**
 * exec with `guests: true` for real: commands inside crun guests (light and full profiles),
 * a timeout that reaches into the guest, and the process runtime running a command the way it
 * ran the guest, but refusing guests an earlier agent left behind.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { answer } from '../../board/commands.ts';
import { createExecCommand } from '../../board/exec/exec-command.ts';
import type { GuestExecResult } from '../../broker/contract/commands/exec.ts';
import { createCrunRuntime } from '../../board/guests/crun.ts';
import { FULL_PROFILE, LIGHT_PROFILE } from '../../board/guests/oci-bundle.ts';
import { createProcessRuntime } from '../../board/guests/process-runtime.ts';
import { openReadinessChannel } from '../../board/guests/readiness.ts';
import { guestSpecs } from '../../board/guests/spec.ts';
import type { GuestRuntime, GuestSpec } from '../../board/guests/types.ts';
import { systemClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';
import { buildBusyboxRootfs, defaultBusyboxPath } from '../../images/busybox-rootfs.ts';

const { path: root, remove: removeRoot } = await tempDir('deskbox-exec-guests-');
const rootfs = join(root, 'busybox');
const board = `x${Math.random().toString(36).slice(2, 6)}`;
const cleanups: Array<() => Promise<void>> = [];

test.before(async () => {
  await buildBusyboxRootfs({ busybox: defaultBusyboxPath()!, dest: rootfs, logger: memoryLogger() });
});

test.after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await removeRoot();
});

/** A runtime of `kind` on its own state folder running `specs`, and exec reaching into them. */
async function guestsOn(kind: 'crun' | 'process', specs: GuestSpec[], stateDir = join(root, kind)) {
  const logger = memoryLogger();
  const channel = await openReadinessChannel(`${stateDir}.ready`, () => {}, { clock: systemClock(), logger });
  const deps = { stateDir, readyPath: channel.path, logger, rootfsOf: (image: string) => (image === 'busybox' ? rootfs : undefined) };
  const runtime: GuestRuntime = kind === 'crun' ? await createCrunRuntime(deps) : createProcessRuntime(deps);
  cleanups.push(async () => {
    for (const g of await runtime.list()) await runtime.stop(g.id, 0);
    await runtime.close();
    await channel.close();
  });
  for (const s of specs) await runtime.start(s);
  const running = async () => (await runtime.list()).filter((g) => g.state === 'running').map((g) => g.id);
  const exec = createExecCommand({
    desk: 'd1', board, logger,
    guests: async () => ({ running: () => specs.map((s) => s.id), command: (id, argv) => runtime.execCommand(id, argv) }),
  });
  const run = async (args: Record<string, unknown>) => ((await answer(exec.handlers, 'exec', { ...args, guests: true })) as { guests: GuestExecResult[] }).guests;
  return { runtime, run, running };
}

const specs = (profile: typeof LIGHT_PROFILE, from: number, count: number) =>
  guestSpecs({ board, desk: 'd1', from, count, image: 'busybox', profile });

const processesWith = async (text: string) => {
  const found: string[] = [];
  for (const p of (await readdir('/proc')).filter((e) => /^\d+$/.test(e))) {
    if ((await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).includes(text)) found.push(p);
  }
  return found;
};

test('crun: every running guest answers, light and full, words with blanks intact', async () => {
  const { run } = await guestsOn('crun', [...specs(LIGHT_PROFILE, 0, 2), ...specs(FULL_PROFILE, 2, 1)]);
  const names = await run({ argv: ['hostname'] });
  assert.equal(names.map((g) => [g.id, g.exitCode, g.stdout]), [0, 1, 2].map((i) => [`${board}-g000${i}`, 0, `${board}-g000${i}\n`]));
  const spaced = await run({ argv: ['sh', '-c', 'echo "a  b"; exit 4'] });
  assert.equal(spaced.map((g) => [g.stdout, g.exitCode]), [['a  b\n', 4], ['a  b\n', 4], ['a  b\n', 4]]);
  const missing = await run({ argv: ['no-such-program'] });
  assert.ok(missing.every((g) => g.exitCode !== 0 && /no-such-program/.test(g.stderr)), JSON.stringify(missing[0]));
});

test('crun: a timeout kills the command inside the guest, children too, and the guest lives on', async () => {
  const { run, running } = await guestsOn('crun', specs(LIGHT_PROFILE, 10, 1), join(root, 'crun-timeout'));
  const marker = '765.4321';
  const [r] = await run({ argv: ['sh', '-c', `sleep ${marker} & sleep ${marker}`], timeoutS: 0.5 });
  assert.equal([r!.timedOut, r!.stdout], [true, '']);
  await waitFor(async () => (await processesWith(marker)).length === 0, { timeoutMs: 3000, what: 'no sleep left in the guest' });
  assert.equal(await running(), [`${board}-g0010`]);
});

test('process runtime: the guest\'s folder, environment and programs; an earlier agent\'s guests refused', async () => {
  const stateDir = join(root, 'process');
  const { run } = await guestsOn('process', specs(LIGHT_PROFILE, 0, 1), stateDir);
  const [r] = await run({ argv: ['sh', '-c', 'echo "$DESKBOX_GUEST"; pwd; echo "$PATH"'] });
  assert.is(r!.stdout, `${board}-g0000\n${join(stateDir, 'process', `${board}-g0000`)}\n${join(rootfs, 'bin')}\n`);
  // A second runtime on the same folder is a restarted agent: it knows the guest only by pid.
  const later = createProcessRuntime({ stateDir, readyPath: '/nonexistent', logger: memoryLogger(), rootfsOf: () => undefined });
  assert.equal((await later.list()).map((g) => [g.id, g.state]), [[`${board}-g0000`, 'running']]);
  const exec = createExecCommand({ desk: 'd1', board, logger: memoryLogger(), guests: async () => ({
    running: () => [`${board}-g0000`, `${board}-g0042`], command: (id, argv) => later.execCommand(id, argv) }) });
  const refused = ((await answer(exec.handlers, 'exec', { argv: ['true'], guests: true })) as { guests: GuestExecResult[] }).guests;
  assert.equal(refused.map((g) => [g.id, g.exitCode, g.error]), [
    [`${board}-g0000`, null, `process exec ${board}-g0000: started by an earlier agent: how it was launched is unknown`],
    [`${board}-g0042`, null, `process exec ${board}-g0042: not running`],
  ]);
  await later.close();
});

test.run();
