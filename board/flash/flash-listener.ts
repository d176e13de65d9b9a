/**
 * The agent's side of `deskbox flash`: listens on the console for the flash protocol
 * (images/serial/receiver.ts) and lands images in the slot the board does not run from
 * (slot-target.ts). A committed image means a reset into it, on trial; the console keeps
 * quiet while a session owns the line.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { parsePublicKey } from '../../images/format/keys.ts';
import { createFlashReceiver, type FlashReceiver } from '../../images/serial/receiver.ts';
import type { BootInfo } from './boot-info.ts';
import { openFlashSlots } from './slots.ts';
import { createSlotTarget } from './slot-target.ts';

export interface FlashListenerDeps {
  link: SerialLink;
  flashDir: string;
  bootInfo: BootInfo;
  trustedKeys: string[];
  boardType: string;
  clock: Clock;
  logger: Logger;
  onSession(e: { state: 'start' | 'end'; ok?: boolean; slot?: 'a' | 'b'; error?: string }): void;
  reboot(): void;
}

/** Long enough for the RESULT frame to cross even a slow line before the reset. */
const RESET_AFTER_MS = 500;

export function listenForFlash(deps: FlashListenerDeps): FlashReceiver {
  const keys = deps.trustedKeys.flatMap((t) => { try { return [parsePublicKey(t)]; } catch { return []; } });
  let committed: 'a' | 'b' | undefined;
  return createFlashReceiver({
    link: deps.link,
    clock: deps.clock,
    logger: deps.logger,
    openTarget: async () => {
      const target = createSlotTarget({ slots: openFlashSlots(deps.flashDir), booted: deps.bootInfo.slot, keys, boardType: deps.boardType, logger: deps.logger });
      return {
        prepare: (head) => target.prepare(head),
        writeBlock: (i, data) => target.writeBlock(i, data),
        abandon: () => target.abandon(),
        async commit() {
          const r = await target.commit();
          committed = r.slot as 'a' | 'b';
          return r;
        },
      };
    },
    onSession: (e) => {
      deps.onSession({ ...e, ...(e.state === 'end' && e.ok && committed ? { slot: committed } : {}) });
      if (e.state === 'end' && e.ok && committed) {
        deps.logger.info('flash committed: resetting into the new slot', { slot: committed });
        deps.clock.setTimeout(() => deps.reboot(), RESET_AFTER_MS);
      }
    },
  });
}
