/**
 * The net feature: the net.* ops (docs/networks.md, "On the board") and the hook guests join
 * their networks through. At start it applies the part kept in config.net.stateFile again, so
 * a rebooted board carries its networks before its guests come back. A board without a `net`
 * section refuses the ops.
 */
import type { ParsedArgs } from '../../broker/contract/commands/index.ts';
import { CommandError } from '../ops/command-error.ts';
import { unavailable, type AgentContext, type Feature } from '../ops/feature.ts';
import type { BoardGuest } from './desired.ts';
import { PartError } from './desired.ts';
import { guestNetns } from './naming.ts';
import { inParallel, NetCommandError } from './run.ts';
import { LanNotReadyError } from './lan-ready.ts';
import { pingFrom } from './ping.ts';
import { createNetService, type NetService } from './service.ts';

export interface NetDeps {
  /** The board's guests as wanted now (ids, indexes, networks they were started with). */
  guests(): readonly BoardGuest[];
}

/** What the guests feature uses: make a guest's namespace before it starts, remove it after. */
export interface GuestNetworkHook {
  join(g: BoardGuest): Promise<string | undefined>;
  leave(id: string): Promise<void>;
  missingNetwork(names: readonly string[]): string | undefined;
}

export interface NetFeature extends Feature {
  /** Absent on a board without guest networks. */
  readonly guestHook?: GuestNetworkHook;
}

/** Our errors as reply codes: a part the board cannot carry is bad-args, a tool failing is failed. */
async function answer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof PartError) throw new CommandError('bad-args', e.message);
    if (e instanceof NetCommandError || e instanceof LanNotReadyError) throw new CommandError('failed', e.message);
    throw e;
  }
}

export function probeHandler(service: NetService) {
  return async (args: ParsedArgs<'net.probe'>) => {
    const jobs = service.members().flatMap((m) => (args.targets[m.network] ?? []).filter((to) => to !== m.address).map((to) => ({ m, to })));
    const results: Array<{ network: string; from: string; to: string; sent: number; received: number; rttMs: number[] }> = [];
    await inParallel(jobs, 16, async ({ m, to }) => {
      const r = await pingFrom(m.ns, to, args.count, args.timeoutMs);
      results.push({ network: m.network, from: m.guest, to, ...r });
    });
    return { results: results.sort((a, b) => `${a.network} ${a.from} ${a.to}`.localeCompare(`${b.network} ${b.from} ${b.to}`)) };
  };
}

export function netFeature(ctx: AgentContext, deps: NetDeps): NetFeature {
  const { config, logger } = ctx;
  if (!config.net) {
    const none = unavailable('this board has no guest networks (no net section in its config)');
    return { handlers: { 'net.apply': none, 'net.down': none, 'net.ls': none, 'net.probe': none } };
  }
  const service = createNetService({ config: config.net, logger: logger.child('net'), guests: deps.guests });
  const prefix = config.net.prefix;
  return {
    handlers: {
      'net.apply': (args) => answer(() => service.apply(args)),
      'net.down': () => answer(() => service.down()),
      'net.ls': () => answer(() => service.ls()),
      'net.probe': (args) => answer(() => probeHandler(service)(args)),
    },
    guestHook: {
      join: (g) => answer(() => service.join(g)),
      leave: (id) => service.leave(id).catch((e: Error) => logger.warn('removing a guest\'s network failed', { ns: guestNetns(prefix, id), error: e.message })),
      missingNetwork: (names) => service.missingNetwork(names),
    },
    async start() {
      try {
        if (await service.reapply()) logger.info('guest networks applied again from the state file');
      } catch (e) {
        logger.error('applying the kept guest networks failed', { error: (e as Error).message });
      }
    },
  };
}
