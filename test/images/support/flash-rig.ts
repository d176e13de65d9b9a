/**
 * A host and a board joined by a paced in-memory cable on virtual time, with the board's
 * agent receiver on a memory target, plus seeded test images: what every agent protocol test
 * starts from.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { memoryLogger } from '../../../platform/log.ts';
import { buildGuestImage } from '../../../images/build-guest.ts';
import type { Manifest } from '../../../images/format/manifest.ts';
import { FlashError } from '../../../images/serial/errors.ts';
import { createFlashReceiver, type FlashReceiver, type ReceiverLimits } from '../../../images/serial/receiver.ts';
import { sendImage, type FlashProgress, type SendOptions, type SendReport } from '../../../images/serial/sender.ts';
import { memoryBoard, type MemoryBoard } from './memory-board.ts';
import { pacedLinkPair, type LineSettings, type PacedLinkPair } from './paced-link.ts';
import { simClock, type SimClock } from './sim-clock.ts';
import { withTempDir } from '../../support/temp-dir.ts';

/** Incompressible bytes, the same for the same seed (AES-CTR keystream). */
export function seededBytes(seed: number, n: number): Buffer {
  const key = createHash('sha256').update(`deskbox-flash-${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

export interface TestImage { file: string; manifest: Manifest; bytes: number; payload: Buffer }

/** A guest image of a rootfs with random, zero-filled and text files of the given sizes. */
export async function testImage(dir: string, opts: { seed: number; random: number; zeros?: number; text?: number; name?: string }): Promise<TestImage> {
  const file = join(dir, `${opts.name ?? 'img'}-${opts.seed}.dbi`);
  const built = await withTempDir(join(dir, 'rootfs-'), async (rootfs) => {
    await mkdir(join(rootfs, 'data'));
    await writeFile(join(rootfs, 'data/random.bin'), seededBytes(opts.seed, opts.random));
    if (opts.zeros) await writeFile(join(rootfs, 'data/zeros.bin'), Buffer.alloc(opts.zeros));
    if (opts.text) await writeFile(join(rootfs, 'data/log.txt'), Buffer.from('deskbox board 7: sensor ok, fan 1200 rpm, 41.5 C\n'.repeat(Math.ceil(opts.text / 50))).subarray(0, opts.text));
    return buildGuestImage({ out: file, rootfs, name: opts.name ?? 'flashme', version: `1.${opts.seed}`, arch: 'x86_64', created: new Date(0), logger: memoryLogger() });
  });
  const whole = await readFile(file);
  return { file, manifest: built.manifest, bytes: built.bytes, payload: whole.subarray(whole.length - built.manifest.payload.size) };
}

export interface Rig {
  clock: SimClock;
  pair: PacedLinkPair;
  board: MemoryBoard;
  receiver: FlashReceiver;
  /** onSession events, in order. */
  sessions: { state: 'start' | 'end'; ok?: boolean; error?: string }[];
  /** sendImage over this rig's host end, on its clock, with a pinned session id. */
  flash(imageFile: string, extra?: Partial<SendOptions>): Promise<SendReport>;
  close(): void;
}

export function rig(line: Partial<LineSettings> & { seed?: number } = {}, limits?: Partial<ReceiverLimits>): Rig {
  const clock = simClock();
  const pair = pacedLinkPair(clock, line);
  const board = memoryBoard();
  const sessions: Rig['sessions'] = [];
  const receiver = createFlashReceiver({ link: pair.board, openTarget: (h) => board.openTarget(h), clock, logger: memoryLogger('board'), onSession: (e) => sessions.push(e), limits });
  let nextSession = 100;
  return {
    clock, pair, board, receiver, sessions,
    flash: (imageFile, extra = {}) => clock.run(sendImage({ link: pair.host, imageFile, clock, sessionId: nextSession++, ...extra })),
    close() {
      receiver.close();
      clock.dispose();
    },
  };
}

/** Lets virtual time pass (frames in flight land, timers fire). */
export function settle(r: Rig, ms: number): Promise<void> {
  return r.clock.run(new Promise<void>((res) => r.clock.setTimeout(res, ms)));
}

/** The FlashError `p` rejects with (fails the test if it resolves or rejects otherwise). */
export async function failure(p: Promise<unknown>): Promise<FlashError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  assert.instance(e, FlashError, `expected a FlashError, got ${String(e)}`);
  return e as FlashError;
}

/** An onProgress that calls `act` once, the first time the transfer is past `share` of the image. */
export function once(share: number, act: () => void): (p: FlashProgress) => void {
  let done = false;
  return (p) => {
    if (!done && p.phase === 'blocks' && p.imageBytesDone > p.imageBytes * share) {
      done = true;
      act();
    }
  };
}
