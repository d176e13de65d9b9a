/**
 * Runs a plan's phases against a desk: for each repetition, set the sampling period, power-
 * cycle the boards and wait until they are back and ready, launch guests in ramp steps, hold,
 * stop them. Each phase leaves a mark in the store; an abort (Ctrl-C) skips to stopping the
 * guests, so what was measured is kept and the desk is left clean. Effects come in as deps:
 * the same runner drives a simulated or a real desk.
 */
import type { CommandArgs, CommandOp, CommandReply } from '../../broker/contract/commands/index.ts';
import type { Plan } from './plan.ts';

export type PhaseName = 'flash' | 'boot' | 'launch' | 'hold' | 'stop';

export interface PhaseProgress {
  start(phase: PhaseName, total: number, unit: string): void;
  update(done: number): void;
  end(): void;
}

export interface RunnerDeps {
  boards: string[];
  plan: Plan;
  request<Op extends CommandOp>(board: string, op: Op, args: CommandArgs<Op>, timeoutMs: number): Promise<CommandReply<Op>>;
  /** Switches a board off and on; absent where the desk has no power switch (a real one without relays). */
  powerCycle?(board: string): Promise<void>;
  /** Resolves when every board reported ready after `since` (a fresh boot). */
  waitReady(boards: string[], since: number, signal: AbortSignal): Promise<void>;
  mark(name: string, detail?: unknown): void;
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
  problems: string[];
}

async function allBoards<T>(deps: RunnerDeps, fn: (board: string) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(deps.boards.map(fn));
}

export async function runPlan(deps: RunnerDeps): Promise<RunOutcome> {
  const { plan, signal, progress } = deps;
  const outcome: RunOutcome = { aborted: false, repetitions: 0, guestsStarted: 0, guestsFailed: 0, problems: [] };
  const problem = (what: string) => { if (outcome.problems.length < 100) outcome.problems.push(what); };
  const setPeriod = () => allBoards(deps, (b) => deps.request(b, 'telemetry.period', { seconds: plan.telemetry.periodS }, 10_000));
  try {
    for (let rep = 1; rep <= plan.repetitions && !signal.aborted; rep++) {
      deps.mark('repetition-start', { repetition: rep });
      await setPeriod();
      if (plan.reboot && deps.powerCycle) {
        const since = deps.now();
        deps.mark('boot-start');
        progress.start('boot', deps.boards.length, 'boards');
        await allBoards(deps, (b) => deps.powerCycle!(b));
        await deps.waitReady(deps.boards, since, signal);
        progress.end();
        deps.mark('boards-ready');
        await setPeriod();
        await deps.sleep(plan.idle, signal);
      }
      await launch(deps, outcome, problem);
      if (signal.aborted) break;
      deps.mark('hold-start');
      progress.start('hold', Math.round(plan.hold / 1000), 's');
      const holdStart = deps.now();
      while (!signal.aborted && deps.now() - holdStart < plan.hold) {
        await deps.sleep(Math.min(1000, plan.hold - (deps.now() - holdStart)), signal);
        progress.update(Math.round((deps.now() - holdStart) / 1000));
      }
      progress.end();
      deps.mark('hold-end');
      if (signal.aborted) break;
      await stopGuests(deps, problem);
      outcome.repetitions = rep;
    }
  } finally {
    if (signal.aborted) {
      outcome.aborted = true;
      deps.mark('aborted');
      await stopGuests(deps, problem);
    }
  }
  return outcome;
}

async function launch(deps: RunnerDeps, outcome: RunOutcome, problem: (w: string) => void): Promise<void> {
  const { plan, signal, progress } = deps;
  const g = plan.guests;
  if (g.perBoard === 0) return;
  deps.mark('launch-start');
  progress.start('launch', g.perBoard * deps.boards.length, 'guests');
  let ready = 0;
  for (let started = 0; started < g.perBoard && !signal.aborted; started += g.ramp.batch) {
    const count = Math.min(g.ramp.batch, g.perBoard - started);
    const args = { count, image: g.image, profile: g.profile, ...(g.command ? { cmd: g.command } : {}), waitS: 120 };
    const replies = await allBoards(deps, (b) => deps.request(b, 'guests.start', args, 130_000));
    replies.forEach((r, i) => {
      const board = deps.boards[i]!;
      if (r.status === 'rejected') return problem(`${board}: guests.start: ${(r.reason as Error).message}`);
      if (!r.value.ok) return problem(`${board}: guests.start: ${r.value.error.code}: ${r.value.error.message}`);
      const { result } = r.value;
      ready += result.ready;
      outcome.guestsStarted += result.ready;
      outcome.guestsFailed += result.failed.length;
    });
    progress.update(ready);
    if (started + g.ramp.batch < g.perBoard && g.ramp.every > 0) await deps.sleep(g.ramp.every, signal);
  }
  progress.end();
  deps.mark('launch-end', { ready });
}

async function stopGuests(deps: RunnerDeps, problem: (w: string) => void): Promise<void> {
  if (deps.plan.guests.perBoard === 0) return;
  deps.mark('stop-start');
  deps.progress.start('stop', deps.boards.length, 'boards');
  let done = 0;
  await allBoards(deps, async (b) => {
    const r = await deps.request(b, 'guests.stop', { all: true }, 120_000).catch((e: Error) => { problem(`${b}: guests.stop: ${e.message}`); return undefined; });
    if (r && !r.ok) problem(`${b}: guests.stop: ${r.error.code}: ${r.error.message}`);
    deps.progress.update(++done);
  });
  deps.progress.end();
  deps.mark('stop-end');
}
