/**
 * The flash feature: A/B trial boots (a trial slot is confirmed once the board is ready, or
 * reset if it is not in time) and images arriving over the serial console (flash-listener.ts).
 */
import type { FlashReceiver } from '../../images/serial/receiver.ts';
import type { AgentContext, Feature } from '../ops/feature.ts';
import type { BootInfo } from './boot-info.ts';
import { listenForFlash } from './flash-listener.ts';
import { createTrialBoot } from './trial-boot.ts';
import { parsePublicKey } from '../../images/format/keys.ts';
import { slotCheck } from './slot-check.ts';

export interface FlashDeps {
  bootInfo?: BootInfo;
  /** Resets the board; absent where nothing can (no flashing then, no trial watchdog). */
  reboot?(): void;
}

export interface FlashFeature extends Feature {
  /** A flash session owns the console line now. */
  flashing(): boolean;
}

export function flashFeature(ctx: AgentContext, { bootInfo, reboot }: FlashDeps): FlashFeature {
  const { config, clock, logger } = ctx;
  const trial = createTrialBoot({ flash: config.flash, bootInfo, reboot, clock, logger, say: ctx.say });
  let receiver: FlashReceiver | undefined;
  return {
    flashing: () => receiver?.active ?? false,
    boot: () => trial.watch(),
    attach(hw) {
      if (!hw.console || !config.flash || !config.images || !bootInfo || !reboot) return;
      receiver = listenForFlash({
        link: hw.console, flashDir: config.flash.dir, bootInfo, trustedKeys: config.images.trustedKeys, boardType: config.images.boardType,
        clock, logger: logger.child('flash'), reboot,
        onSession: (e) => ctx.event({ type: 'flash', ...e }),
      });
    },
    ready: () => trial.confirm(),
    // A board started from a slot by the boot program, with keys to check it against.
    healthChecks() {
      if (!bootInfo || !config.images) return [];
      const keys = config.images.trustedKeys.map((k, i) => parsePublicKey(k, `images.trustedKeys[${i}]`));
      return [slotCheck(bootInfo, keys)];
    },
    stop() {
      trial.stop();
      receiver?.close();
    },
  };
}
