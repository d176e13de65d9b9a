/**
 * Runs a plan's phases against a desk: for each repetition, set the sampling period, power-
 * cycle the boards and wait until they are back and ready, launch guests in ramp steps, hold,
 * stop them. Each phase leaves a mark in the store and waits no longer than the plan's timeout
 * for it; a board that goes offline or misses a deadline is lost (fleet.ts) and the run goes on
 * with the others. A stop (Ctrl-C) ends every wait at once and gives the guests' stop a few
 * seconds, so what was measured is kept and the desk is left clean. Effects come in as deps:
 * the same runner drives a simulated or a real desk.
 */
import type { CommandArgs, CommandOp, CommandReply } from '../../broker/contract/commands/index.ts';
import { BoardLostError, createFleet, RunStoppedError, type Fleet, type LostBoard, type RunPhase } from './fleet.ts';
import type { Plan } from './plan.ts';

export type PhaseName = 'flash' | 'boot' | 'launch' | 'hold' | 'stop';

/** Progress of a run's phases; other long commands use it with their own phase names. */
export interface PhaseProgress<Phase extends string = PhaseName> {
  start(phase: Phase, total: number, unit: string): void;
  update(done: number): void;
  end(): void;
}

export interface RunnerDeps {
  /** The boards taking part (those online when the run began). */
  boards: string[];
  plan: Plan;
  request<Op extends CommandOp>(board: string, op: Op, args: CommandArgs<Op>, timeoutMs: number): Promise<CommandReply<Op>>;
  /** Switches a board off and on; absent where the desk has no power switch (a real one without relays). */
  powerCycle?(board: string): Promise<void>;
  /** Waits until every board reported ready after `since` (a fresh boot); resolves with those that did not in time. */
  waitReady(boards: string[], since: number, signal: AbortSignal, timeoutMs: number): Promise<string[]>;
  /** Calls `listener` whenever a board's status turns offline; returns how to stop listening. */
  onOffline?(listener: (board: string) => void): () => void;
  mark(name: string, detail?: unknown): void;
  /** Pings between the guests of each network at the end of the hold (a plan with a topology). */
  probeNetworks?(repetition: number): Promise<void>;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  now(): number;
  progress: PhaseProgress;
  signal: AbortSignal;
}

export interface RunOutcome {
  aborted: boolean;
  repetitions: number;
  guestsStarted: number;
  guestsFailed: number;
  /** Boards that dropped out, with the phase and the reason. */
  lost: LostBoard[];
  problems: string[];
}

/** After a stop, the guests' stop gets this long: the run must end within seconds of Ctrl-C. */
export const STOPPED_RUN_STOP_MS = 6000;
const PERIOD_TIMEOUT_MS = 10_000;

interface Run {
  deps: RunnerDeps;
  fleet: Fleet;
  outcome: RunOutcome;
  phase: RunPhase;
  lose(board: string, reason: string): void;
  problem(what: string): void;
}

export async function runPlan(deps: RunnerDeps): Promise<RunOutcome> {
  const { plan, signal, progress } = deps;
  const outcome: RunOutcome = { aborted: false, repetitions: 0, guestsStarted: 0, guestsFailed: 0, lost: [], problems: [] };
  const fleet = createFleet(deps.boards, deps.now);
  const run: Run = {
    deps, fleet, outcome, phase: 'setup',
    lose: (board, reason) => { if (fleet.lose(board, run.phase, reason)) deps.mark('board-lost', { board, phase: run.phase, reason }); },
    problem: (what) => { if (outcome.problems.length < 100) outcome.problems.push(what); },
  };
  // A power cycle takes boards offline on purpose; anywhere else, offline means lost.
  const unlisten = deps.onOffline?.((b) => { if (run.phase !== 'boot') run.lose(b, 'went offline'); });
  const setPeriod = () => eachBoard(run, 'telemetry.period', { seconds: plan.telemetry.periodS }, PERIOD_TIMEOUT_MS, signal, false);
  try {
    for (let rep = 1; rep <= plan.repetitions && !signal.aborted && fleet.active().length > 0; rep++) {
      run.phase = 'setup';
      deps.mark('repetition-start', { repetition: rep });
      await setPeriod();
      if (plan.reboot && deps.powerCycle) {
        run.phase = 'boot';
        const since = deps.now();
        deps.mark('boot-start');
        progress.start('boot', fleet.active().length, 'boards');
        await Promise.allSettled(fleet.active().map((b) => deps.powerCycle!(b)));
        const late = await deps.waitReady(fleet.active(), since, signal, plan.timeouts.boot);
        if (!signal.aborted) late.forEach((b) => run.lose(b, `not ready within ${plan.timeouts.boot / 1000} s of its power cycle`));
        // The boards still in the run are the ones that came back ready.
        progress.update(fleet.active().length);
        progress.end();
        run.phase = 'setup';
        if (signal.aborted) break;
        deps.mark('boards-ready', { boards: fleet.active().length });
        await setPeriod();
      } else {
        // Not power-cycled: the boards are ready as they are. The idle phase still comes first,
        // since it is the baseline the launch's energy per guest boot is counted over.
        deps.mark('boards-ready', { boards: fleet.active().length, rebooted: false });
      }
      await deps.sleep(plan.idle, signal);
      await launch(run);
      if (signal.aborted) break;
      run.phase = 'hold';
      deps.mark('hold-start');
      progress.start('hold', Math.round(plan.hold / 1000), 's');
      const holdStart = deps.now();
      while (!signal.aborted && fleet.active().length > 0 && deps.now() - holdStart < plan.hold) {
        await deps.sleep(Math.min(1000, plan.hold - (deps.now() - holdStart)), signal);
        progress.update(Math.round((deps.now() - holdStart) / 1000));
      }
      progress.end();
      deps.mark('hold-end');
      if (signal.aborted || fleet.active().length === 0) break;
      if (deps.probeNetworks) {
        // While the guests still run: their networks are what is measured.
        deps.mark('net-probe-start');
        await deps.probeNetworks(rep).catch((e: Error) => run.problem(`net probe: ${e.message}`));
        deps.mark('net-probe-end');
      }
      await stopGuests(run, plan.timeouts.stop);
      outcome.repetitions = rep;
    }
    if (fleet.active().length === 0) run.problem('no board left in the run');
  } finally {
    if (signal.aborted) {
      outcome.aborted = true;
      deps.mark('aborted');
      await stopGuests(run, STOPPED_RUN_STOP_MS);
    }
    unlisten?.();
    outcome.lost = [...fleet.lost];
  }
  return outcome;
}

/**
 * One op on every active board at once, each ended by the board's loss or `stop`. A board that
 * does not answer in time is lost when `loseLate` (it missed a phase's deadline).
 */
async function eachBoard<Op extends CommandOp>(run: Run, op: Op, args: CommandArgs<Op>, timeoutMs: number, stop: AbortSignal, loseLate: boolean, onReply?: (board: string, reply: CommandReply<Op>) => void): Promise<void> {
  const { deps, fleet } = run;
  await Promise.all(fleet.active().map(async (board) => {
    try {
      const reply = await fleet.guard(board, deps.request(board, op, args, timeoutMs), stop);
      if (!reply.ok) run.problem(`${board}: ${op}: ${reply.error.code}: ${reply.error.message}`);
      onReply?.(board, reply);
    } catch (e) {
      if (e instanceof BoardLostError || e instanceof RunStoppedError) return;
      if (loseLate && (e as Error).name === 'RequestTimeoutError') {
        return run.lose(board, `no answer to ${op} within ${timeoutMs / 1000} s`);
      }
      run.problem(`${board}: ${op}: ${(e as Error).message}`);
    }
  }));
}

async function launch(run: Run): Promise<void> {
  const { deps, outcome, fleet } = run;
  const { plan, signal, progress } = deps;
  const g = plan.guests;
  if (g.perBoard === 0) return;
  run.phase = 'launch';
  deps.mark('launch-start');
  progress.start('launch', g.perBoard * fleet.active().length, 'guests');
  // The board waits for its guests a little less than the step's timeout, so its answer (with
  // whatever did boot) arrives before the host gives up on it.
  const waitS = Math.max(1, Math.floor((plan.timeouts.launchStep * 0.9) / 1000));
  let ready = 0;
  for (let started = 0; started < g.perBoard && !signal.aborted && fleet.active().length > 0; started += g.ramp.batch) {
    const count = Math.min(g.ramp.batch, g.perBoard - started);
    const args = { count, image: g.image, profile: g.profile, ...(g.command ? { cmd: g.command } : {}), ...(g.networks ? { networks: g.networks } : {}), waitS };
    await eachBoard(run, 'guests.start', args, plan.timeouts.launchStep, signal, true, (_board, reply) => {
      if (!reply.ok) return;
      ready += reply.result.ready;
      outcome.guestsStarted += reply.result.ready;
      outcome.guestsFailed += reply.result.failed.length;
    });
    progress.update(ready);
    if (started + g.ramp.batch < g.perBoard && g.ramp.every > 0) await deps.sleep(g.ramp.every, signal);
  }
  progress.end();
  deps.mark('launch-end', { ready });
}

async function stopGuests(run: Run, timeoutMs: number): Promise<void> {
  const { deps, fleet } = run;
  if (deps.plan.guests.perBoard === 0 || fleet.active().length === 0) return;
  run.phase = 'stop';
  deps.mark('stop-start');
  deps.progress.start('stop', fleet.active().length, 'boards');
  let done = 0;
  const boards = fleet.active();
  await eachBoard(run, 'guests.stop', { all: true }, timeoutMs, new AbortController().signal, true, () => deps.progress.update(++done));
  const unanswered = boards.filter((b) => fleet.lost.some((l) => l.board === b && l.phase === 'stop'));
  if (unanswered.length > 0) run.problem(`guests may still run on ${unanswered.join(',')} (deskbox guests stop --boards ${unanswered.join(',')})`);
  deps.progress.end();
  deps.mark('stop-end');
}
