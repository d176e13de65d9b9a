/**
 * A board's guests as the agent sees them: opens the runtime (crun, or plain processes where
 * crun or root is missing), the readiness channel and the supervisor; answers the guests.*
 * commands; keeps the desired guests in the RAM state folder so a restarted agent adopts
 * what still runs; and batches per-guest happenings into one event a second.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import type { GuestsConfig } from '../config/board-config.ts';
import type { GuestRuntime, GuestSpec, RuntimeDeps } from './types.ts';
import { createCrunRuntime } from './crun.ts';
import { createProcessRuntime } from './process-runtime.ts';
import { openReadinessChannel, type ReadinessChannel } from './readiness.ts';
import { createGuestSupervisor, type GuestEvent } from './supervisor.ts';
import { summarizeGuests, type GuestsSummary } from './summary.ts';
import { createGuestCommands } from './commands.ts';
import type { GuestShell } from '../exec/exec-command.ts';
import type { GuestNetworkHook } from '../net/feature.ts';
import { PROCESS_NO_NETWORKS } from './process-runtime.ts';
import { GuestRuntimeError } from './types.ts';
import { guestSpecs } from './spec.ts';
import { LIGHT_PROFILE } from './oci-bundle.ts';

const MAX_BOOT_SAMPLES = 10_000;

export interface GuestServiceDeps {
  config: GuestsConfig;
  desk: string;
  board: string;
  clock: Clock;
  logger: Logger;
  /** The read-only rootfs folder of an installed image (the board's image store), or undefined. */
  resolveImage(name: string): string | undefined;
  /** Called about once a second with the events gathered since the last call. */
  onEvents(events: GuestEvent[]): void;
  /** Guest networks (board/net): absent on a board without them. */
  network?: GuestNetworkHook;
}

/**
 * crun on the PATH, and root to run it. Looked up, not run: a board runs this at every agent
 * start, where a spawn costs tens of ms; a crun that is there but broken fails its first guest
 * with crun's own words (crun.ts opens it then).
 */
function hasCrun(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.getuid?.() !== 0) return false;
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', 'crun'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function openRuntime(kind: GuestsConfig['runtime'], maxConcurrent: number, deps: RuntimeDeps): Promise<GuestRuntime> {
  const useCrun = kind === 'crun' || (kind === 'auto' && hasCrun());
  return useCrun ? createCrunRuntime({ ...deps, maxConcurrent }) : createProcessRuntime(deps);
}

export async function openGuestService(deps: GuestServiceDeps) {
  const { config, clock, logger } = deps;
  await mkdir(config.stateDir, { recursive: true });
  const desiredFile = join(config.stateDir, 'desired.json');
  const rootfsOf = (image: string) => (/^[A-Za-z0-9_.-]+$/.test(image) ? deps.resolveImage(image) : undefined);
  // The rootfs each guest was launched from: a reinstalled image must not lose the old one under it.
  const launchedFrom = new Map<string, string>();
  let pending: GuestEvent[] = [];
  // Recent boot times for the telemetry percentiles; bounded, as guests restart forever.
  const bootTimes: number[] = [];
  const readyPath = join(config.stateDir, 'ready.fifo');
  const runtime = await openRuntime(config.runtime, config.maxParallel, { stateDir: config.stateDir, rootfsOf, readyPath, logger: logger.child('runtime') });
  const tracked: GuestRuntime = {
    name: runtime.name,
    start: async (spec) => {
      if (runtime.name === 'process' && spec.networks?.length) throw new GuestRuntimeError('process', 'start', spec.id, PROCESS_NO_NETWORKS);
      // Its network namespace and interfaces are made first; crun starts the guest in it.
      const netns = runtime.name === 'crun' ? await deps.network?.join(spec) : undefined;
      await openChannel();
      const dir = rootfsOf(spec.image);
      if (dir) launchedFrom.set(spec.id, dir);
      return runtime.start(netns ? { ...spec, netns } : spec);
    },
    stop: async (id, graceMs) => {
      try {
        await runtime.stop(id, graceMs);
      } finally {
        launchedFrom.delete(id);
        // Stopped for good (not for a restart): its network namespace and veths go too.
        if (!supervisor.target.some((s) => s.id === id)) await deps.network?.leave(id);
      }
    },
    list: () => runtime.list(),
    alive: (guest) => runtime.alive(guest),
    execCommand: (id, argv) => runtime.execCommand(id, argv),
    close: () => runtime.close(),
  };
  const supervisor = createGuestSupervisor({
    runtime: tracked, clock, logger,
    policy: config.restart,
    maxParallel: config.maxParallel,
    stopGraceMs: config.stopGraceMs,
    onEvent: (e) => {
      pending.push(e);
      if (e.type === 'booted') bootTimes.push(e.bootMs);
      // Waiting guests.start requests hear at once; the event stream is batched per tick.
      commands.observe(e);
    },
  });
  // Making the FIFO costs a spawn (mkfifo), tens of ms at every agent start of a busy desk: it is
  // made when the first guest starts. One an earlier agent left opens at once, for its guests.
  let channel: Promise<ReadinessChannel> | undefined;
  const openChannel = () => (channel ??= openReadinessChannel(readyPath, (id, at) => supervisor.ready(id, at), { clock, logger: logger.child('ready') })
    .catch((e: Error) => { channel = undefined; throw e; }));
  if (existsSync(readyPath)) await openChannel();

  const setTarget = async (specs: GuestSpec[]) => {
    await writeFileAtomic(desiredFile, JSON.stringify(specs));
    await supervisor.setTarget(specs);
  };
  const summary = (): GuestsSummary => summarizeGuests(runtime.name, supervisor.records(), bootTimes);
  const commands = createGuestCommands({ deps, hasImage: (name) => rootfsOf(name) !== undefined, supervisor, setTarget, summary, clock, runtime: runtime.name });

  // Guests a crashed agent left behind are kept if still desired, stopped if not.
  const adopted = await supervisor.adopt();
  const desired = existsSync(desiredFile) ? (JSON.parse(readFileSync(desiredFile, 'utf8')) as GuestSpec[]) : [];
  await supervisor.setTarget(desired);
  logger.info('guests ready', { runtime: runtime.name, adopted, desired: desired.length });

  return {
    runtime: runtime.name,
    handlers: commands.handlers,
    /** The guests wanted now (what guest networks are computed from). */
    wanted: (): readonly GuestSpec[] => supervisor.target,
    summary,
    /** The guests `exec` reaches: those running now (ready or not yet). */
    shell: {
      running: () => supervisor.records().filter((r) => r.phase === 'running' || r.phase === 'ready').map((r) => r.id).sort(),
      command: (id, argv) => runtime.execCommand(id, argv),
    } satisfies GuestShell,
    /** Rootfs folders of guests that run or are on their way up or down. */
    rootfsInUse(): Set<string> {
      const dirs = new Set<string>();
      for (const r of supervisor.records()) {
        if (r.phase === 'exited' || r.phase === 'failed') continue;
        // Adopted guests were launched by an earlier agent: their image as it resolves now.
        const dir = launchedFrom.get(r.id) ?? (r.spec ? rootfsOf(r.spec.image) : undefined);
        if (dir) dirs.add(dir);
      }
      return dirs;
    },
    /** The health check's probe (board/health/guest-launch-check.ts): one guest outside the supervisor. */
    async launch(image: string): Promise<{ ms: number; runtime: string }> {
      const board = deps.board;
      const id = `${board}-health`;
      const [spec] = guestSpecs({ board, desk: deps.desk, from: 0, count: 1, image, command: ['sleep', '60'], profile: LIGHT_PROFILE });
      const probe = { ...spec!, id, hostname: id, env: { ...spec!.env, DESKBOX_GUEST: id } };
      const started = clock.monotonic();
      try {
        await openChannel();
        const guest = await runtime.start(probe);
        if (!runtime.alive(guest)) throw new GuestRuntimeError(runtime.name, 'start', id, 'the probe guest exited at once');
        return { ms: clock.monotonic() - started, runtime: runtime.name };
      } finally {
        await runtime.stop(id, 1000).catch((e: Error) => logger.warn('health probe guest not stopped', { error: e.message }));
      }
    },
    /** Once a second: exits and restarts, then the batched events. */
    async tick(): Promise<void> {
      await supervisor.check();
      if (pending.length === 0) return;
      const events = pending;
      pending = [];
      bootTimes.splice(0, Math.max(0, bootTimes.length - MAX_BOOT_SAMPLES));
      deps.onEvents(events);
    },
    /** A clean stop is the board going down: its guests and their desired state go with it. */
    async close(): Promise<void> {
      await supervisor.stopAll();
      await rm(desiredFile, { force: true });
      await (await channel?.catch(() => undefined))?.close();
      await runtime.close();
    },
  };
}

export type GuestService = Awaited<ReturnType<typeof openGuestService>>;
