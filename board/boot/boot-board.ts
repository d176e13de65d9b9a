/**
 * A board's boot, from its boot environment to the agent to start: pick the slot (counting a
 * trial boot before it is made), check it whole and unpack it, fall back to the other slot
 * when it is bad, and record which slot and image booted for the agent (boot info). A re-flash
 * therefore really changes what runs, and a bad image never does. The same code boots a real
 * board (board/boot/main.ts under systemd) and every simulated one.
 */
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../platform/log.ts';
import type { FlashSlots } from '../flash/slots.ts';
import { MAX_TRIES, otherSlot, planBoot, type Slot } from '../flash/boot-env.ts';
import { writeBootInfo } from '../flash/boot-info.ts';
import type { Manifest } from '../../images/format/manifest.ts';
import { asImageError } from '../../images/check-payload.ts';
import { NODE_RUNTIME_PATH } from '../../images/format/board-payload.ts';
import { loadSlot, type SlotCheck } from './load-slot.ts';
import type { SlotLoader } from './shared-loads.ts';
import { adoptInbox } from '../flash/inbox.ts';

export class BootError extends Error {
  constructor(readonly board: string, detail: string) {
    super(`${board} does not boot: ${detail}`);
    this.name = 'BootError';
  }
}

export interface BootDeps extends SlotCheck {
  /** A line on the board's console. */
  console(line: string): void;
  logger: Logger;
  /** The raw partition U-Boot writes a received image to (board/flash/inbox.ts), if the board has one. */
  inbox?: string;
  /** How a slot is checked and unpacked: loadSlot, or loads shared by the boards of one boot program. */
  load?: SlotLoader;
}

/** An image U-Boot left in the inbox becomes the inactive slot's trial before the slot is chosen. */
async function takeInbox(board: string, slots: FlashSlots, inbox: string, deps: BootDeps): Promise<void> {
  const taken = await adoptInbox(slots, inbox, deps).catch((e: Error) => ({ kind: 'refused' as const, reason: e.message }));
  if (taken.kind === 'adopted') deps.console(`inbox: ${taken.image} written by U-Boot is now slot ${taken.slot}'s trial`);
  if (taken.kind === 'already') deps.console(`inbox: the image there is already in slot ${taken.slot}`);
  if (taken.kind === 'refused') {
    deps.console(`inbox: image refused: ${taken.reason}`);
    deps.logger.warn('inbox image refused', { board, inbox, error: taken.reason });
  }
}

export interface Booted {
  slot: Slot;
  agentFile: string;
  /** The Node runtime the image carries (`--with-node`), if any. */
  node?: string;
  manifest: Manifest;
  ms: number;
}


export async function bootBoard(board: string, slots: FlashSlots, bootInfoFile: string, deps: BootDeps): Promise<Booted> {
  const started = performance.now();
  const say = deps.console;
  if (deps.inbox) await takeInbox(board, slots, deps.inbox, deps);
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
      const loaded = await (deps.load ?? loadSlot)(slots, slot, deps);
      const m = loaded.manifest;
      say(`slot ${slot}: ${m.name} ${m.version} (${m.payload.sha256.slice(0, 12)}) verified, signed by ${m.keyId}`);
      if (slot !== plan.slot) {
        say(`falling back from slot ${plan.slot} to slot ${slot}`);
        await slots.writeEnv({ v: 1, active: slot });
      }
      await writeBootInfo(bootInfoFile, { v: 1, slot, slotFile: slots.slotFile(slot), image: { name: m.name, version: m.version, sha256: m.payload.sha256 }, defaults: loaded.defaults });
      say(`starting agent ${m.board!.agent.version}`);
      const node = join(loaded.dir, NODE_RUNTIME_PATH);
      const carriesNode = await access(node, constants.X_OK).then(() => true, () => false);
      return { slot, agentFile: loaded.agentFile, ...(carriesNode ? { node } : {}), manifest: m, ms: performance.now() - started };
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

