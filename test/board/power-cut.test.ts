/**
 * Pulls a board's power at random moments of a flash, many times, and boots it after each:
 * the board must always come up, from its old image or (once the flash committed) the new
 * one, and a flash started again resumes. The board is a real process on a real pty,
 * killed with SIGKILL; the host is deskbox's sender over the real serialport binding.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { systemClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { confirmBoot } from '../../board/flash/boot-env.ts';
import { generateKeys } from '../../images/format/keys.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { sendImage } from '../../images/serial/sender.ts';
import { bootBoard } from '../../board/boot/boot-board.ts';
import { openPtyPair, type PtyPair } from '../../host/desk/pty-pair.ts';
import { tempDir } from '../support/temp-dir.ts';

const CUTS = 12;

/** Deterministic pseudo-random delays, so a failure can be replayed. */
function seeded(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

function startBoard(pair: PtyPair, flashDir: string, booted: 'a' | 'b', key: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/board/fixtures/flash-board.ts', pair.boardPath, flashDir, booted, key], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(child); });
    child.once('exit', (code) => reject(new Error(`board process exited early (${code})`)));
  });
}

test('power pulled at random points of flashes: the board always boots, old image or new', async () => {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-power-cut-');
  const pair = await openPtyPair(dir, 'tty');
  const keys = generateKeys();
  const signer = { id: keys.publicKey.id, key: createPrivateKey(keys.privatePem) };
  const slots = openFlashSlots(join(dir, 'flash'));
  const host = await serialportBinding().open(pair.hostPath, { baudRate: 115200 });
  let board: ChildProcess | undefined;
  try {
    const images: string[] = [];
    for (const v of ['v1', 'v2']) {
      await writeFile(join(dir, `${v}.mjs`), randomBytes(3 * 1024 * 1024));
      images.push((await buildBoardImage({ out: join(dir, `${v}.dbi`), agent: join(dir, `${v}.mjs`), agentVersion: v, guests: [], type: 'sim', name: 'b', version: v, arch: 'x86_64', key: signer })).file);
    }
    await slots.install('a', images[0]!);
    await slots.writeEnv({ v: 1, active: 'a' });
    const random = seeded(4242);
    const bootDeps = { keys: [keys.publicKey], boardType: 'sim', unpackDir: join(dir, 'cache'), console: () => {}, logger: memoryLogger() };
    const outcomes: string[] = [];
    for (let i = 0; i < CUTS; i++) {
      // The board boots whatever its environment says, as after any power-on, and runs that.
      const booted = await bootBoard('b01', slots, join(dir, 'boot.json'), bootDeps);
      const env = (await slots.readEnv())!;
      const confirmed = confirmBoot(env, booted.slot);
      if (confirmed) await slots.writeEnv(confirmed);
      const want = booted.manifest.version === 'v1' ? images[1]! : images[0]!;
      board = await startBoard(pair, slots.dir, booted.slot, keys.publicKey.text);
      const abort = new AbortController();
      // Most cuts land at a random share of the transfer, the rest in the commit (checking,
      // moving the staged image into the slot, switching the boot environment).
      const inCommit = random() < 0.35;
      const share = random();
      const delayMs = Math.floor(random() * 150);
      // Every fourth flash runs to the end (it resumes what the cuts before it staged): how long
      // a commit takes depends on the machine's load, and the new image must get to boot.
      const uncut = i % 4 === 3;
      let cut!: () => void;
      const cutNow = new Promise<void>((r) => (cut = r));
      const sending = sendImage({
        link: host, imageFile: want, clock: systemClock(), signal: abort.signal, timeouts: { helloMs: 3000, silenceMs: 2000 },
        onProgress: (p) => {
          if (uncut) return;
          if (inCommit ? p.phase === 'commit' : p.imageBytesDone >= share * p.imageBytes) setTimeout(cut, inCommit ? delayMs : 0);
        },
      }).then(() => 'committed', (e: Error) => `cut (${e.message.slice(0, 60)})`);
      await Promise.race([cutNow, sending]);
      const cutAt = uncut ? 'no cut' : inCommit ? `cut at commit + ${delayMs} ms` : `cut at ${Math.round(share * 100)}% of the transfer`;
      // It may have reset by itself already (a committed flash ends in a reboot).
      if (board.exitCode === null && board.signalCode === null) {
        const exited = new Promise((r) => board!.once('exit', r));
        board.kill('SIGKILL');
        await exited;
      }
      abort.abort();
      outcomes.push(`${booted.manifest.version} -> ${cutAt}: ${await sending}`);
      if (process.env.DESKBOX_DEBUG) process.stderr.write(`${outcomes[outcomes.length - 1]}\n`);
    }
    // Whatever the last cut left, the board boots.
    const last = await bootBoard('b01', slots, join(dir, 'boot.json'), bootDeps);
    assert.ok(['v1', 'v2'].includes(last.manifest.version));
    // The seeded cuts cover both kinds: flashes cut short (old image boots) and committed ones (new image boots next).
    assert.ok(outcomes.some((o) => o.startsWith('v1')) && outcomes.some((o) => o.startsWith('v2')), outcomes.join('\n'));
    assert.ok(outcomes.some((o) => o.includes('% of the transfer: cut')) && outcomes.some((o) => o.includes('commit +')), outcomes.join('\n'));
  } finally {
    if (board && board.exitCode === null && board.signalCode === null) board.kill('SIGKILL');
    await host.close();
    await pair.close();
    await removeDir();
  }
});

test.run();
