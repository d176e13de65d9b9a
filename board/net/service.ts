/**
 * A board's guest networks: net.apply makes the kernel match the board's part of a topology
 * (desired.ts -> planner.ts against what current.ts reads back -> executor.ts) and keeps the
 * part on flash so the next agent applies it again at start; net.down removes all of it; a
 * guest joining or leaving changes only its own namespace (several may at once; a whole-board
 * change waits for them and runs alone).
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import * as v from 'valibot';
import { NetApplyArgsSchema, type NetApplyArgs } from '../../broker/contract/commands/net.ts';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import type { Logger } from '../../platform/log.ts';
import type { NetConfig } from '../config/board-config.ts';
import { readCurrent } from './current.ts';
import { desiredState, networksOf, PartError, type BoardGuest, type DesiredState } from './desired.ts';
import { execute } from './executor.ts';
import { probeFeatures, type NetFeatures } from './features.ts';
import { aliasOf, guestNetns, netnsPath } from './naming.ts';
import { partOf, plan, type Step } from './planner.ts';
import { featuresFor } from './shaping.ts';
import { type LanWaitOptions, waitForLan } from './lan-ready.ts';

export interface NetServiceDeps {
  config: NetConfig;
  logger: Logger;
  /** The board's guests as the guest service wants them (ids, indexes, networks they were started with). */
  guests(): readonly BoardGuest[];
  /** How long to wait for config.readyFile (lan-ready.ts); tests shorten it. */
  lanWait?: LanWaitOptions;
}

export function createNetService(deps: NetServiceDeps) {
  const { config, logger } = deps;
  const alias = aliasOf(config.prefix);
  const lan = config.lanAddress ?? null;
  const readOpts = { prefix: config.prefix, alias, boardNs: config.namespace };
  let applied: NetApplyArgs | null = null;
  let features: Promise<NetFeatures> | undefined;
  // Whole-board changes (apply, down) one at a time and alone; guests joining or leaving touch
  // only their own namespace and veths, so several may run at once (guests boot in parallel).
  let exclusiveTail: Promise<unknown> = Promise.resolve();
  const running = new Set<Promise<unknown>>();
  // Whole-board changes first wait for the board's own network, where a desk builds it meanwhile.
  // A guest joining needs none before a part is applied, and once one is, the network was there.
  const lanReady = config.readyFile ? waitForLan(config.readyFile, deps.lanWait) : Promise.resolve();
  lanReady.catch(() => undefined);
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const before = [...running];
    const next = exclusiveTail.then(async () => { await Promise.allSettled(before); await lanReady; return fn(); });
    exclusiveTail = next.catch(() => undefined);
    return next;
  };
  const shared = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = exclusiveTail.then(fn);
    const settled = next.catch(() => undefined);
    running.add(settled);
    void settled.finally(() => running.delete(settled));
    return next;
  };
  const kernelFeatures = () => (features ??= probeFeatures(config.prefix));
  const desired = (args: NetApplyArgs, extra?: BoardGuest): DesiredState => {
    const guests = deps.guests().filter((g) => g.id !== extra?.id);
    return desiredState(config.prefix, lan, args, extra ? [...guests, extra] : guests);
  };

  const state = async (d?: DesiredState) => {
    const part = applied;
    const members = part ? (d ?? desired(part)).members : [];
    return {
      lanAddress: lan,
      features: { ...(await kernelFeatures()) },
      topology: part ? part.topology : null,
      networks: (part?.networks ?? []).map((n) => ({ name: n.name, vni: n.vni, subnet: n.subnet })),
      routers: (part?.routers ?? []).map((r) => ({ name: r.name, interfaces: r.interfaces })),
      members: members.map(({ guest, network, address, iface }) => ({ guest, network, address, iface })),
    };
  };

  /** Refuses a part the kernel cannot carry, naming the feature and the network. */
  const checkFeatures = async (args: NetApplyArgs) => {
    const have = await kernelFeatures();
    for (const n of args.networks) {
      const needs = [...(n.peers.length > 0 ? ['vxlan' as const] : []), ...featuresFor(n.link)];
      const missing = needs.find((f) => !have[f]);
      if (missing) {
        const why = missing === 'vxlan' ? 'peers on other boards' : missing === 'netem' ? 'delayMs/jitterMs/lossPct' : 'rate';
        throw new PartError(`network ${n.name} needs ${missing} (for its ${why}), which this board's kernel does not have`);
      }
    }
  };

  const converge = async (steps: Step[]) => {
    await execute(steps, { boardNs: config.namespace });
    return steps.length;
  };

  const applyNow = async (args: NetApplyArgs) => {
    const t0 = performance.now();
    await checkFeatures(args);
    const d = desired(args);
    for (const why of d.refused.values()) logger.warn('guest left off its networks', { why });
    const steps = plan(await readCurrent(readOpts), d.objects, alias);
    const changes = await converge(steps);
    applied = args;
    await writeFileAtomic(config.stateFile, JSON.stringify(args) + '\n', { durable: true });
    logger.info('net applied', { topology: args.topology.name, changes, ms: Math.round(performance.now() - t0) });
    return { changes, elapsedMs: Math.round(performance.now() - t0), state: await state(d) };
  };

  return {
    apply: (args: NetApplyArgs) => serial(() => applyNow(args)),

    down: () => serial(async () => {
      const steps = plan(await readCurrent(readOpts), new Map(), alias);
      const removed = await converge(steps);
      applied = null;
      await rm(config.stateFile, { force: true });
      return { removed, state: await state() };
    }),

    ls: () => serial(() => state()),

    members: () => (applied ? desired(applied).members : []),

    /** The part kept on flash, applied again (at agent start); false when there is none. */
    reapply: async () => {
      // Checked before queueing: a board with nothing kept must not hold guests back for the LAN.
      if (!existsSync(config.stateFile)) return false;
      return serial(async () => {
        const parsed = v.safeParse(NetApplyArgsSchema, JSON.parse(await readFile(config.stateFile, 'utf8')));
        if (!parsed.success) throw new Error(`${config.stateFile} does not hold a net.apply part`);
        await applyNow(parsed.output);
        return true;
      });
    },

    /** Whether these networks are applied on this board; the missing one's name otherwise. */
    missingNetwork(names: readonly string[]): string | undefined {
      return names.find((n) => !applied?.networks.some((x) => x.name === n));
    },

    /**
     * Makes guest `g`'s namespace and interfaces (before its container starts in it): the
     * netns path to join, or undefined for a guest on no network.
     */
    join: (g: BoardGuest) => shared(async () => {
      const missing = g.networks?.find((n) => !applied?.networks.some((x) => x.name === n));
      if (missing) throw new PartError(`network ${missing} is not applied on this board (net.apply first)`);
      if (!applied || networksOf(g, applied.networks).length === 0) return undefined;
      const d = desired(applied, g);
      const why = d.refused.get(g.id);
      if (why) throw new PartError(why);
      const ns = guestNetns(config.prefix, g.id);
      // A guest's namespace that does not exist holds nothing, and its veths died with it: no
      // read-back needed, which saves most of a join's process starts (guests boot one by one).
      const current = existsSync(netnsPath(ns)) ? partOf(await readCurrent({ ...readOpts, only: [ns] }), ns) : new Map();
      await converge(plan(current, partOf(d.objects, ns), alias));
      return netnsPath(ns);
    }),

    /** Removes a guest's namespace and veths (it was stopped for good). */
    leave: (id: string) => shared(async () => {
      const ns = guestNetns(config.prefix, id);
      await converge(plan(partOf(await readCurrent({ ...readOpts, only: [ns] }), ns), new Map(), alias));
    }),

    features: kernelFeatures,
  };
}

export type NetService = ReturnType<typeof createNetService>;
