/**
 * The guest supervisor: keeps what runs equal to what should run. It plans with the pure
 * planner, executes the steps with bounded parallelism, times each boot from the launch
 * decision to the guest's own ready signal, notices exits, restarts by policy, and takes
 * everything down on shutdown.
 */
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { backoffMs, plan, type GuestRecord, type RestartPolicy, type Step } from './planner.ts';
import type { GuestRuntime, GuestSpec, RunningGuest } from './types.ts';
import pLimit from 'p-limit';

export type GuestEvent =
  | { type: 'booted'; id: string; bootMs: number }
  | { type: 'exited'; id: string; restarts: number }
  | { type: 'failed'; id: string; error: string };

export interface SupervisorDeps {
  runtime: GuestRuntime;
  clock: Clock;
  logger: Logger;
  policy: RestartPolicy;
  /** Launches in flight at once; the kernel serialises much of container set-up anyway. */
  maxParallel: number;
  stopGraceMs: number;
  onEvent(event: GuestEvent): void;
}

interface Tracked extends GuestRecord {
  guest?: RunningGuest;
  launchedAt?: number;
}

export function createGuestSupervisor(deps: SupervisorDeps) {
  const { runtime, clock, logger, policy } = deps;
  const guests = new Map<string, Tracked>();
  const limit = pLimit(deps.maxParallel);
  let target: GuestSpec[] = [];
  let reconciling: Promise<void> = Promise.resolve();

  const start = async (spec: GuestSpec, restart: boolean) => {
    const prev = guests.get(spec.id);
    // A guest that exited still holds its runtime state (a stopped crun container): clear it.
    if (prev) await runtime.stop(spec.id, 0).catch(() => undefined);
    const rec: Tracked = { id: spec.id, spec, phase: 'starting', restarts: restart ? (prev?.restarts ?? 0) + 1 : 0, launchedAt: clock.monotonic() };
    guests.set(spec.id, rec);
    try {
      rec.guest = await limit(() => runtime.start(spec));
      if (rec.phase === 'starting') rec.phase = 'running';
    } catch (err) {
      rec.phase = 'failed';
      const error = (err as Error).message;
      logger.warn('guest failed to start', { guest: spec.id, error });
      deps.onEvent({ type: 'failed', id: spec.id, error });
    }
  };

  const stop = async (id: string) => {
    const rec = guests.get(id);
    if (rec) rec.phase = 'stopping';
    try {
      // Not limited here: most of a stop is waiting out the grace period, and those waits
      // must overlap (runtimes bound their own tool invocations).
      await runtime.stop(id, deps.stopGraceMs);
    } catch (err) {
      logger.warn('guest stop failed', { guest: id, error: (err as Error).message });
    }
    guests.delete(id);
  };

  const execute = (step: Step) => (step.op === 'start' ? start(step.spec, step.restart) : stop(step.id));

  /** Plans and executes until nothing is left to do (a stop for a changed spec needs a start after). */
  const reconcileNow = async () => {
    for (let round = 0; round < 3; round++) {
      const steps = plan(guests, target, policy, clock.monotonic());
      if (steps.length === 0) return;
      await Promise.all(steps.map(execute));
    }
  };
  const reconcile = () => (reconciling = reconciling.then(reconcileNow, reconcileNow));

  return {
    /** Records guests a previous agent left running; the next reconcile keeps or stops them. */
    async adopt(): Promise<number> {
      const found = await runtime.list();
      for (const g of found) {
        if (g.state === 'running' && runtime.alive(g)) guests.set(g.id, { id: g.id, phase: 'ready', restarts: 0, guest: g });
        else await runtime.stop(g.id, 0).catch(() => undefined);
      }
      return guests.size;
    },
    setTarget(specs: GuestSpec[]): Promise<void> {
      // Adopted strays that are wanted again take the spec they are wanted with.
      for (const s of specs) { const rec = guests.get(s.id); if (rec && !rec.spec) rec.spec = s; }
      target = specs;
      return reconcile();
    },
    get target(): readonly GuestSpec[] {
      return target;
    },
    /** A guest wrote its id to the readiness channel. */
    ready(id: string, atMonotonicMs: number): void {
      const rec = guests.get(id);
      if (!rec || (rec.phase !== 'starting' && rec.phase !== 'running')) return;
      rec.phase = 'ready';
      const bootMs = rec.launchedAt === undefined ? 0 : atMonotonicMs - rec.launchedAt;
      deps.onEvent({ type: 'booted', id, bootMs });
    },
    /** Once a second: notice guests that died, then restart what policy allows. */
    async check(): Promise<void> {
      for (const rec of guests.values()) {
        if ((rec.phase === 'running' || rec.phase === 'ready') && rec.guest && !runtime.alive(rec.guest)) {
          // An exit the policy will not restart is final: the guest counts as failed.
          const restartable = policy.mode === 'on-failure' && rec.restarts < policy.maxRestarts;
          rec.phase = restartable ? 'exited' : 'failed';
          rec.notBefore = clock.monotonic() + backoffMs(policy, rec.restarts);
          deps.onEvent({ type: 'exited', id: rec.id, restarts: rec.restarts });
        }
      }
      await reconcile();
    },
    records(): Tracked[] {
      return [...guests.values()];
    },
    async stopAll(): Promise<void> {
      target = [];
      await reconcile();
      await Promise.all([...guests.keys()].map(stop));
    },
  };
}

export type GuestSupervisor = ReturnType<typeof createGuestSupervisor>;
