/**
 * The built boot program (dist/board-boot.mjs) as its init sees it: the exit codes systemd and
 * the simulated desk act on, what it reports over IPC, signals passed on to the agents. The
 * agents here are stand-ins that write what they were started with and then do as told.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fork, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BoardConfigFile } from '../../board/config/board-config.ts';
import type { BootReport } from '../../board/boot/main.ts';
import { HALT_EXIT_CODE, REBOOT_EXIT_CODE } from '../../board/launch/exit-codes.ts';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { generateKeys } from '../../images/format/keys.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';

const BOOT = new URL('../../dist/board-boot.mjs', import.meta.url).pathname;
const key = generateKeys();
const { path: work, remove: removeWork } = await tempDir('deskbox-bootprog-');
test.after(() => removeWork());

/** An agent that records its argv, then exits with `code`, or idles until SIGTERM and exits 0. */
const standIn = (code: number | 'idle') => `import { appendFileSync } from 'node:fs';
const i = process.argv.indexOf('--config');
appendFileSync(process.argv[i + 1] + '.started', JSON.stringify(process.argv.slice(2)) + '\\n');
${code === 'idle' ? "process.on('SIGTERM', () => { appendFileSync(process.argv[i + 1] + '.started', 'SIGTERM\\n'); process.exit(0); }); setInterval(() => {}, 1e9);" : `process.exit(${code});`}
`;

async function board(id: string, agent?: string): Promise<string> {
  const dir = join(work, id);
  const slots = openFlashSlots(join(dir, 'flash'));
  if (agent !== undefined) {
    const file = join(work, `${id}-agent.mjs`);
    await writeFile(file, agent);
    const img = await buildBoardImage({
      out: join(work, `${id}.dbi`), agent: file, agentVersion: id, guests: [], type: 'sim', name: 'b', version: id, arch: 'x86_64',
      key: { id: key.publicKey.id, key: createPrivateKey(key.privatePem) },
    });
    await slots.install('a', img.file);
    await slots.writeEnv({ v: 1, active: 'a' });
  }
  const config: BoardConfigFile = {
    v: 1, desk: 'd1', board: id, broker: { url: 'mqtt://127.0.0.1:1', username: id, passwordFile: join(dir, 'pw') },
    hardware: { power: join(dir, 'hwmon'), gpio: `sim:${join(dir, 'gpio')}` },
    images: { storeDir: join(dir, 'store'), trustedKeys: [key.publicKey.text] },
    boot: { unpackDir: join(work, 'run') }, bootInfo: join(dir, 'boot-info.json'), flash: { dir: join(dir, 'flash') },
  };
  const file = join(dir, 'board.json');
  await mkdir(dir, { recursive: true });
  await writeFile(file, JSON.stringify(config));
  return file;
}

function start(configs: string[]): { child: ChildProcess; reports: BootReport[]; exited: Promise<number | null> } {
  const child = fork(BOOT, configs.flatMap((c) => ['--config', c]), { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const reports: BootReport[] = [];
  child.on('message', (m) => reports.push(m as BootReport));
  return { child, reports, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

test('nothing bootable: every board reported dark with its reason, exit 78 (halted: no restart)', async () => {
  const never = await board('never');
  const { reports, exited } = start([never]);
  assert.is(await exited, HALT_EXIT_CODE);
  assert.equal(reports, [{ type: 'dark', board: 'never', reason: 'never does not boot: no boot environment (never flashed)' }]);
});

test('an agent asking for a reboot ends the boot program with 75; the boards it hosts share one agent process', async () => {
  const a = await board('r1', standIn(REBOOT_EXIT_CODE));
  const { reports, exited } = start([a]);
  assert.is(await exited, REBOOT_EXIT_CODE);
  assert.equal(reports.map((r) => r.type), ['booted', 'agents']);
  const started = (await readFile(`${a}.started`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as string[]);
  assert.equal(started, [['--config', a]]);
});

test('one good board and one dark: the good one runs; SIGTERM reaches its agent and the program exits 0', async () => {
  const good = await board('g1', standIn('idle'));
  const dark = await board('d1');
  const { child, reports, exited } = start([good, dark]);
  await waitFor(() => reports.some((r) => r.type === 'agents'), { timeoutMs: 20_000, what: 'the agents report' });
  assert.ok(reports.some((r) => r.type === 'dark' && r.board === 'd1'));
  assert.ok(reports.some((r) => r.type === 'booted' && r.board === 'g1' && r.slot === 'a'));
  await waitFor(() => readFile(`${good}.started`, 'utf8').then(() => true, () => false), { timeoutMs: 20_000, what: 'the agent to start' });
  child.kill('SIGTERM');
  assert.is(await exited, 0);
  assert.match(await readFile(`${good}.started`, 'utf8'), /SIGTERM/);
});

test.run();
