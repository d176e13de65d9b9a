/**
 * The guests.* commands a board answers: start N more guests (and wait for them to signal
 * ready), stop some or all, list them. Arguments come validated by the catalogue
 * (broker/contract/commands/guests.ts); a request the board cannot honour (unknown image,
 * beyond the cap) is an error reply, never a crash.
 */
import type { ParsedArgs } from '../../broker/contract/commands/index.ts';
import { CommandError } from '../ops/command-error.ts';
import type { Handlers } from '../ops/feature.ts';
import type { Clock, TimerHandle } from '../../platform/clock.ts';
import type { GuestServiceDeps } from './service.ts';
import type { GuestSupervisor, GuestEvent } from './supervisor.ts';
import type { GuestSpec } from './types.ts';
import { guestSpecs } from './spec.ts';
import { FULL_PROFILE, LIGHT_PROFILE } from './oci-bundle.ts';
import { bootStats, type GuestsSummary } from './summary.ts';
import { PROCESS_NO_NETWORKS } from './process-runtime.ts';

interface CommandDeps {
  deps: GuestServiceDeps;
  hasImage(name: string): boolean;
  supervisor: GuestSupervisor;
  setTarget(specs: GuestSpec[]): Promise<void>;
  summary(): GuestsSummary;
  clock: Clock;
  runtime: 'crun' | 'process';
}

type Outcome = { ok: true; bootMs: number } | { ok: false; error: string };

export function createGuestCommands({ deps, hasImage, supervisor, setTarget, summary, clock, runtime }: CommandDeps) {
  const waiters = new Map<string, (o: Outcome) => void>();
  const { config } = deps;

  const start = async (args: ParsedArgs<'guests.start'>) => {
    const target = supervisor.target;
    if (target.length + args.count > config.maxGuests) {
      throw new CommandError('bad-args', `${args.count} more guests would make ${target.length + args.count}, over this board's cap of ${config.maxGuests}`);
    }
    if (!hasImage(args.image)) throw new CommandError('bad-args', `unknown image "${args.image}" on ${deps.board}`);
    if (args.networks?.length) {
      if (runtime === 'process') throw new CommandError('bad-args', PROCESS_NO_NETWORKS);
      if (!deps.network) throw new CommandError('bad-args', `${deps.board} has no guest networks (no net section in its config)`);
      const missing = deps.network.missingNetwork(args.networks);
      if (missing) throw new CommandError('bad-args', `network ${missing} is not applied on ${deps.board} (net.apply first)`);
    }
    const from = target.reduce((m, s) => Math.max(m, s.index + 1), 0);
    const profile = (args.profile ?? config.profile) === 'full' ? FULL_PROFILE : LIGHT_PROFILE;
    const specs = guestSpecs({ board: deps.board, desk: deps.desk, from, count: args.count, image: args.image, command: args.cmd, env: args.env, profile, networks: args.networks });
    const outcomes = specs.map((s) => new Promise<Outcome>((resolve) => waiters.set(s.id, resolve)));
    const t0 = clock.monotonic();
    await setTarget([...target, ...specs]);
    let timer: TimerHandle | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = clock.setTimeout(() => resolve('timeout'), args.waitS * 1000)));
    const settled = await Promise.race([Promise.all(outcomes), timeout]);
    clock.clearTimeout(timer!);
    for (const s of specs) waiters.delete(s.id);
    const done = settled === 'timeout' ? [] : settled;
    const failed = specs.flatMap((s, i) => (done[i] && !done[i].ok ? [{ id: s.id, error: done[i].error }] : []));
    const cause = (f: { id: string; error: string }) => f.error.replaceAll(f.id, '<guest>');
    if (failed.length === specs.length && specs.length > 0 && failed.every((f) => cause(f) === cause(failed[0]!))) {
      // One cause failed them all (crun broken, image unusable): the request leaves no trace.
      await setTarget(supervisor.target.filter((s) => !specs.includes(s)));
      throw new CommandError('failed', `no guest started: ${cause(failed[0]!)}`);
    }
    return {
      requested: specs.length,
      ready: done.filter((o) => o.ok).length,
      failed,
      timedOut: settled === 'timeout',
      elapsedMs: Math.round(clock.monotonic() - t0),
      bootMs: bootStats(done.flatMap((o) => (o.ok ? [o.bootMs] : []))) ?? null,
      board: summary(),
    };
  };

  const stop = async (args: ParsedArgs<'guests.stop'>) => {
    const target = supervisor.target;
    const keep = 'all' in args ? [] : target.slice(0, Math.max(0, target.length - args.count));
    await setTarget([...keep]);
    return { stopped: target.length - keep.length, board: summary() };
  };

  const list = () => ({
    board: summary(),
    guests: supervisor.records().map((r) => ({ id: r.id, phase: r.phase, restarts: r.restarts, pid: r.guest?.pid ?? null })),
  });

  return {
    handlers: { 'guests.start': start, 'guests.stop': stop, 'guests.ls': list } satisfies Handlers,
    /** Settles the wait of a guests.start request as its guest boots, fails or exits. */
    observe(e: GuestEvent): void {
      const settle = waiters.get(e.id);
      if (!settle) return;
      settle(e.type === 'booted' ? { ok: true, bootMs: e.bootMs } : { ok: false, error: e.type === 'failed' ? e.error : 'exited before signalling ready' });
      waiters.delete(e.id);
    },
  };
}
