/**
 * The agent's part of A/B trial boots: on a trial slot the board must come online and ready
 * within `flash.confirmTimeoutS`, or it resets and the boot program counts another failed try
 * (after three it goes back to the old slot); once online and ready, it confirms the slot.
 */
import type { Clock, TimerHandle } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import type { BootInfo } from './boot-info.ts';
import { confirmBoot } from './boot-env.ts';
import { openFlashSlots } from './slots.ts';

export interface TrialBootDeps {
  flash?: { dir: string; confirmTimeoutS: number };
  bootInfo?: BootInfo;
  reboot?(): void;
  clock: Clock;
  logger: Logger;
  /** A line on the board's console. */
  say(text: string): void;
}

export function createTrialBoot(deps: TrialBootDeps) {
  const { flash, bootInfo, clock, logger } = deps;
  let watchdog: TimerHandle | undefined;
  const disarm = () => {
    if (watchdog) clock.clearTimeout(watchdog);
    watchdog = undefined;
  };
  return {
    /** At start: arm the watchdog if this boot is a trial. */
    async watch(): Promise<void> {
      if (!flash || !bootInfo || !deps.reboot) return;
      const env = await openFlashSlots(flash.dir).readEnv().catch(() => undefined);
      if (env?.trial?.slot !== bootInfo.slot) return;
      watchdog = clock.setTimeout(() => {
        logger.error('trial slot not confirmed in time: resetting', { slot: bootInfo.slot, timeoutS: flash.confirmTimeoutS });
        deps.reboot!();
      }, flash.confirmTimeoutS * 1000);
    },
    /** Online and ready: a trial of this slot becomes the active slot (docs/flashing.md). */
    async confirm(): Promise<void> {
      disarm();
      if (!flash || !bootInfo) return;
      const slots = openFlashSlots(flash.dir);
      try {
        const env = await slots.readEnv();
        const confirmed = env && confirmBoot(env, bootInfo.slot);
        if (!confirmed) return;
        await slots.writeEnv(confirmed);
        logger.info('boot confirmed', { slot: bootInfo.slot, image: bootInfo.image.version });
        deps.say(`deskbox: slot ${bootInfo.slot} confirmed`);
      } catch (err) {
        logger.error('could not confirm the boot', { error: (err as Error).message });
      }
    },
    stop: disarm,
  };
}
