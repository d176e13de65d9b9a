/**
 * The pty host (dist/pty-host.mjs): one process that makes and joins many pty pairs, where a
 * desk used to run one socat per pair (980 of them for 490 boards). Each pair is two real ptys
 * whose masters this process joins, their slaves linked at `<dir>/<name>.host` and `.board`,
 * as socat's `pty,raw,echo=0,link=...` made them. It is a process of its own because openpty
 * hands out masters without close-on-exec that Node cannot set: in the supervisor every board
 * process and broker it starts would inherit them all, and a closed pair would never hang up.
 * Driven over IPC by pty-host.ts; it starts nothing itself.
 */
import { closeSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import tty from 'node:tty';
import type { PtyHostReply, PtyHostRequest } from './pty-host.ts';

interface NativePty { master: number; slave: number; pty: string }

/** node-pty's openpty(3), without the terminal object around it (that one reads the slave, and its kill(-1) would signal every process). */
function loadOpenpty(): () => NativePty {
  const { loadNativeModule } = createRequire(import.meta.url)('node-pty/lib/utils') as { loadNativeModule(name: string): { module: { open(cols: number, rows: number): NativePty } } };
  const native = loadNativeModule('pty').module;
  return () => native.open(80, 24);
}

/** One pty: its master in this process (raw: no echo, no line editing), its slave fd held so the master never reads EIO while nobody has the slave open. */
function openRawPty(openpty: () => NativePty) {
  const p = openpty();
  const master = new tty.ReadStream(p.master);
  // Sets the pair's line discipline (shared with the slave): what socat's raw,echo=0 did.
  master.setRawMode(true);
  return {
    master,
    device: p.pty,
    close() {
      master.destroy();
      closeSync(p.slave);
    },
  };
}

async function openPair(openpty: () => NativePty, dir: string, name: string) {
  const paths = [join(dir, `${name}.host`), join(dir, `${name}.board`)] as const;
  await mkdir(dir, { recursive: true });
  // Only this host makes these links; what is there is left by one that was killed.
  await Promise.all(paths.map((p) => rm(p, { force: true })));
  const [host, board] = [openRawPty(openpty), openRawPty(openpty)];
  host.master.pipe(board.master);
  board.master.pipe(host.master);
  try {
    await Promise.all([symlink(host.device, paths[0]), symlink(board.device, paths[1])]);
  } catch (e) {
    host.close();
    board.close();
    throw e;
  }
  return {
    hostPath: paths[0], boardPath: paths[1], devices: [host.device, board.device],
    async close() {
      host.master.unpipe();
      board.master.unpipe();
      host.close();
      board.close();
      await Promise.all(paths.map((p) => rm(p, { force: true })));
    },
  };
}

async function serve(): Promise<void> {
  const openpty = loadOpenpty();
  const pairs = new Map<string, Awaited<ReturnType<typeof openPair>>>();
  const reply = (r: PtyHostReply) => process.send!(r);
  process.on('message', (m: PtyHostRequest) => {
    void (async () => {
      const key = join(m.dir, m.name);
      try {
        if (m.op === 'open') {
          if (pairs.has(key)) throw new Error(`${key}.host is in use by another pair of this pty host`);
          const pair = await openPair(openpty, m.dir, m.name);
          pairs.set(key, pair);
          reply({ id: m.id, ok: true, hostPath: pair.hostPath, boardPath: pair.boardPath, devices: pair.devices });
        } else {
          await pairs.get(key)?.close();
          pairs.delete(key);
          reply({ id: m.id, ok: true });
        }
      } catch (e) {
        reply({ id: m.id, ok: false, error: (e as Error).message });
      }
    })();
  });
  // Told to stop, or left by the supervisor: every pair goes, links too.
  const stop = async () => {
    await Promise.all([...pairs.values()].map((p) => p.close()));
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('disconnect', () => void stop());
  reply({ id: 0, ok: true });
}

await serve();
