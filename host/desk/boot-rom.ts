/**
 * The simulated board's boot ROM: what runs between "power on" and the agent. It reads the
 * boot environment, checks the active slot's board image completely (header, manifest,
 * signature against the keys burned into the board, every block, the payload hash, board
 * type), unpacks the agent from it and says so on the board's console; if the active slot
 * is bad it falls back to the other one. So a re-flash really changes what runs, and a bad
 * image never does.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, symlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../../board/runtime/log.ts';
import type { FlashSlots } from '../../board/flash/slots.ts';
import { MAX_TRIES, otherSlot, planBoot, type Slot } from '../../board/flash/boot-env.ts';
import { writeBootInfo } from '../../board/flash/boot-info.ts';
import { ImageError } from '../../images/format/errors.ts';
import type { PublicKey } from '../../images/format/keys.ts';
import type { Manifest } from '../../images/format/manifest.ts';
import { openImageStream } from '../../images/read-stream.ts';
import { extractArchive } from '../../images/archive/extract.ts';
import { asImageError } from '../../images/check-payload.ts';
import { sha256File } from '../../images/file-hash.ts';

export class BootError extends Error {
  constructor(readonly board: string, detail: string) {
    super(`${board} does not boot: ${detail}`);
    this.name = 'BootError';
  }
}

export interface BootRomDeps {
  /** The public keys burned into the board (its config's trusted keys). */
  keys: readonly PublicKey[];
  boardType: string;
  /** RAM folder where unpacked agents are kept, one per image payload, shared by boards. */
  cacheDir: string;
  /** The agent's native modules (serialport, onoff) come with the board's base system. */
  nodeModules: string;
  console(line: string): void;
  logger: Logger;
}

export interface Booted {
  slot: Slot;
  agentFile: string;
  manifest: Manifest;
  ms: number;
}

/** Checks one slot and makes its agent runnable; throws ImageError naming the failed check. */
async function loadSlot(slots: FlashSlots, slot: Slot, deps: BootRomDeps): Promise<{ agentFile: string; defaults: string | null; manifest: Manifest }> {
  const file = slots.slotFile(slot);
  const name = `slot ${slot}`;
  const size = await slots.slotSize(slot);
  if (size === 0) throw new ImageError('size', name, 'the slot is empty');
  const { head, payload } = await openImageStream(createReadStream(file, { highWaterMark: 1 << 20 }), { name, keys: deps.keys, fileSize: size });
  const m = head.manifest;
  if (m.kind !== 'board' || !m.board) {
    payload.destroy();
    throw new ImageError('board', name, `holds a ${m.kind} image, not a board image`);
  }
  if (m.board.type !== deps.boardType) {
    payload.destroy();
    throw new ImageError('board', name, `the image is for board type "${m.board.type}", this board is "${deps.boardType}"`);
  }
  const dir = join(deps.cacheDir, m.payload.sha256);
  const agentFile = join(dir, m.board.agent.path);
  const defaults = m.board.config ? join(dir, m.board.config) : null;
  if (existsSync(agentFile)) {
    // Unpacked before from the same verified payload; the slot is still checked every boot.
    for await (const _ of payload) { /* each block is verified as it passes */ }
    return { agentFile, defaults, manifest: m };
  }
  const tmp = join(deps.cacheDir, `.${m.payload.sha256}.${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(tmp, { recursive: true });
  try {
    const unpack = extractArchive(tmp);
    payload.on('error', (e) => unpack.writable.destroy(e));
    payload.pipe(unpack.writable);
    await unpack.done.catch((e: unknown) => { throw asImageError(e, name); });
    const sha = await sha256File(join(tmp, m.board.agent.path)).catch(() => undefined);
    if (sha !== m.board.agent.sha256) throw new ImageError('board', name, sha ? 'the agent differs from the manifest' : `no agent at ${m.board.agent.path}`);
    await symlink(deps.nodeModules, join(tmp, 'node_modules'));
    // Boards booting the same image at once race to here; the first rename wins.
    await rename(tmp, dir).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e; });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { agentFile, defaults, manifest: m };
}

export async function bootBoard(board: string, slots: FlashSlots, bootInfoFile: string, deps: BootRomDeps): Promise<Booted> {
  const started = performance.now();
  const say = deps.console;
  say('deskbox boot ROM (simulated)');
  const env = await slots.readEnv().catch((e: Error) => { throw new BootError(board, e.message); });
  if (!env) {
    say('no boot environment: this board was never flashed');
    throw new BootError(board, 'no boot environment (never flashed)');
  }
  const plan = planBoot(env);
  if (plan.save) await slots.writeEnv(plan.save);
  if (plan.gaveUp) say(`slot ${plan.gaveUp} was not confirmed after ${MAX_TRIES} boots; back to slot ${plan.slot}`);
  else if (env.trial && plan.slot === env.trial.slot) say(`trying slot ${plan.slot} (boot ${plan.save!.trial!.tries} of ${MAX_TRIES} until confirmed)`);
  const failures: string[] = [];
  for (const slot of [plan.slot, otherSlot(plan.slot)]) {
    try {
      const loaded = await loadSlot(slots, slot, deps);
      const m = loaded.manifest;
      say(`slot ${slot}: ${m.name} ${m.version} (${m.payload.sha256.slice(0, 12)}) verified, signed by ${m.keyId}`);
      if (slot !== plan.slot) {
        say(`falling back from slot ${plan.slot} to slot ${slot}`);
        await slots.writeEnv({ v: 1, active: slot });
      }
      await writeBootInfo(bootInfoFile, { v: 1, slot, slotFile: slots.slotFile(slot), image: { name: m.name, version: m.version, sha256: m.payload.sha256 }, defaults: loaded.defaults });
      say(`starting agent ${m.board!.agent.version}`);
      return { slot, agentFile: loaded.agentFile, manifest: m, ms: performance.now() - started };
    } catch (e) {
      // Whatever is wrong with a slot (a failed check, an unreadable file), the other one may boot.
      const message = asImageError(e, `slot ${slot}`).message;
      failures.push(message);
      say(message);
      deps.logger.warn('slot refused', { board, slot, error: message });
    }
  }
  say('no bootable slot; halted');
  throw new BootError(board, failures.join('; '));
}

