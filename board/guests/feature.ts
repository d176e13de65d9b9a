/**
 * The guests feature: the board's guests (service.ts), opened when the agent starts, checked
 * once a second, stopped with the agent; the guests.* ops. A board without a `guests`
 * section refuses them.
 */
import type { Telemetry } from '../../broker/contract/payloads.ts';
import type { GuestShell } from '../exec/exec-command.ts';
import { unavailable, type AgentContext, type Feature } from '../ops/feature.ts';
import { opening } from '../ops/opening.ts';
import { guestEventBatches } from './events.ts';
import { openGuestService, type GuestService } from './service.ts';
import type { GuestNetworkHook } from '../net/feature.ts';
import type { GuestSpec } from './types.ts';
import { existsSync, readFileSync } from 'node:fs';
import { guestLaunchCheck } from '../health/guest-launch-check.ts';
import { join } from 'node:path';

export interface GuestsDeps {
  /** The read-only rootfs folder of an installed image (the board's image store), or undefined. */
  resolveImage(name: string): string | undefined;
  /** Guest counts just changed (a guests.* op answered): watchers should hear at once. */
  changed(): void;
  /** Guest networks (board/net), when the board has them. */
  network?(): GuestNetworkHook | undefined;
  /** An installed image the health check may launch a probe guest from. */
  probeImage?(): string | undefined;
}

export interface GuestsFeature extends Feature {
  summary(): Telemetry['guests'];
  /** Rootfs folders of guests that run or are on their way up or down. */
  rootfsInUse(): ReadonlySet<string>;
  /**
   * The guests wanted now: the service's target once open, before that the desired state an
   * earlier agent left (the guests it will adopt), so guest networks are applied for them.
   */
  wanted(): readonly GuestSpec[];
  /** The guests `exec` reaches, once they are open; absent on a board without guests. */
  shell?: () => Promise<GuestShell>;
}

export function guestsFeature(ctx: AgentContext, deps: GuestsDeps): GuestsFeature {
  const { config, logger } = ctx;
  const idle = { running: 0, failed: 0 };
  if (!config.guests) {
    const none = unavailable('this board runs no guests (no guests section in its config)');
    return { handlers: { 'guests.start': none, 'guests.stop': none, 'guests.ls': none }, summary: () => idle, rootfsInUse: () => new Set(), wanted: () => [] };
  }
  const guestsConfig = config.guests;
  const guests = opening<GuestService>('guests');
  const handlers = async () => (await guests.ready()).handlers;
  return {
    handlers: {
      'guests.start': async (args) => (await handlers())['guests.start'](args),
      'guests.stop': async (args) => (await handlers())['guests.stop'](args),
      'guests.ls': async () => (await handlers())['guests.ls'](),
    },
    summary: () => guests.current?.summary() ?? idle,
    rootfsInUse: () => guests.current?.rootfsInUse() ?? new Set(),
    wanted: () => {
      if (guests.current) return guests.current.wanted();
      const file = join(guestsConfig.stateDir, 'desired.json');
      try {
        return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as GuestSpec[]) : [];
      } catch {
        return [];
      }
    },
    shell: async () => (await guests.ready()).shell,
    async start() {
      await guests.open(() => openGuestService({
        config: guestsConfig, desk: config.desk, board: config.board, clock: ctx.clock, logger: logger.child('guests'),
        resolveImage: deps.resolveImage, network: deps.network?.(),
        onEvents: (events) => guestEventBatches(events).forEach((body) => ctx.event(body)),
      }));
      ctx.scheduler.every('guests', 1, () => guests.current!.tick());
    },
    answered: deps.changed,
    healthChecks: () => [guestLaunchCheck(() => guests.ready().catch(() => undefined), () => deps.probeImage?.())],
    status: () => ({ guestRuntime: guests.current?.runtime }),
    async stop() {
      await guests.current?.close().catch((err: Error) => logger.error('stopping guests failed', { error: err.message }));
    },
  };
}
