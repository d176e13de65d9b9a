/**
 * The experiment runner against a fake desk: phases, ramp, stop; and the faults a real desk
 * has: boards that go offline, miss a deadline or never answer, and a person who stops the run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePlan } from '../../host/experiment/plan.ts';
import { runPlan, STOPPED_RUN_STOP_MS, type PhaseName, type RunnerDeps } from '../../host/experiment/runner.ts';
import { RequestTimeoutError } from '../../host/client/request.ts';

type Behaviour = (board: string, op: string, args: Record<string, unknown>, timeoutMs: number) => Promise<unknown> | undefined;

interface FakeOptions {
  /** Told of every progress update, with the phase it belongs to. */
  onUpdate?: (phase: PhaseName, done: number) => void;
  abortDuring?: PhaseName;
  /** Called at the start of each phase: a test's hook to take a board offline. */
  onPhase?(phase: PhaseName, goOffline: (board: string) => void): void;
  /** Replaces a board's answer to a request (undefined: answer normally). */
  behave?: Behaviour;
  notReady?: string[];
}

function fakeDesk(boards: string[], opts: FakeOptions = {}) {
  const calls: string[] = [];
  const marks: { name: string; detail?: unknown }[] = [];
  const abort = new AbortController();
  const offlineListeners = new Set<(b: string) => void>();
  const goOffline = (b: string) => offlineListeners.forEach((l) => l(b));
  let t = 0;
  let phase: PhaseName = 'boot';
  const deps: Omit<RunnerDeps, 'plan'> = {
    boards,
    // A board that does what it is asked: only guests.start's result is read.
    request: (async (b: string, op: string, args: Record<string, unknown>, timeoutMs: number) => {
      calls.push(`${b} ${op} ${JSON.stringify(args)}`);
      const special = opts.behave?.(b, op, args, timeoutMs);
      if (special) return special;
      return { ok: true, result: op === 'guests.start' ? { ready: args.count, failed: [] } : {} };
    }) as RunnerDeps['request'],
    powerCycle: async (b: string) => { calls.push(`${b} power cycle`); },
    waitReady: async (bs) => bs.filter((b) => opts.notReady?.includes(b)),
    onOffline: (l) => { offlineListeners.add(l); return () => offlineListeners.delete(l); },
    mark: (name: string, detail?: unknown) => { marks.push({ name, detail }); },
    sleep: async (ms: number) => { t += ms; },
    now: () => t,
    progress: {
      start: (p: PhaseName) => {
        phase = p;
        opts.onPhase?.(p, goOffline);
        if (p === opts.abortDuring) abort.abort();
      },
      update: (done: number) => opts.onUpdate?.(phase, done),
      end: () => {},
    },
    signal: abort.signal,
  };
  return { calls, marks, abort, deps, names: () => marks.map((m) => m.name), goOffline };
}

const never = () => new Promise<never>(() => {});

test('runner: phases in order, the launch ramp in steps, guests stopped, marks for each phase', async () => {
  const plan = parsePlan('guests: { perBoard: 10, ramp: { batch: 4, every: 2s } }\nhold: 5s\nrepetitions: 2\ntelemetry: { periodS: 2 }', 'p.yaml');
  const d = fakeDesk(['b01', 'b02']);
  const out = await runPlan({ ...d.deps, plan });
  assert.equal(out, { aborted: false, repetitions: 2, guestsStarted: 40, guestsFailed: 0, lost: [], problems: [] });
  const b01 = d.calls.filter((c) => c.startsWith('b01'));
  const start = (n: number) => `b01 guests.start {"count":${n},"image":"busybox","profile":"light","waitS":108}`;
  assert.equal(b01.slice(0, 7), ['b01 telemetry.period {"seconds":2}', 'b01 power cycle', 'b01 telemetry.period {"seconds":2}', start(4), start(4), start(2), 'b01 guests.stop {"all":true}']);
  assert.equal(d.names().slice(0, 9), ['repetition-start', 'boot-start', 'boards-ready', 'launch-start', 'launch-end', 'hold-start', 'hold-end', 'stop-start', 'stop-end']);
});

test('runner: a plan with a topology probes its networks at the end of each hold, guests still running, networks passed to guests.start', async () => {
  const plan = parsePlan('topology: t.yaml\nguests: { perBoard: 2, networks: [lan1] }\nhold: 2s\nrepetitions: 2', 'p.yaml');
  const d = fakeDesk(['b01']);
  const probed: number[] = [];
  const out = await runPlan({ ...d.deps, plan, probeNetworks: async (rep) => { probed.push(rep); if (rep === 2) throw new Error('b01 did not answer'); } });
  assert.equal(probed, [1, 2]);
  assert.equal(out.problems, ['net probe: b01 did not answer']);
  assert.ok(d.calls.some((c) => c.includes('guests.start') && c.includes('"networks":["lan1"]')));
  const names = d.names();
  assert.equal(names.slice(names.indexOf('hold-end'), names.indexOf('hold-end') + 4), ['hold-end', 'net-probe-start', 'net-probe-end', 'stop-start']);
});

test('runner: Ctrl-C during the hold stops the guests and ends the run, keeping its marks', async () => {
  const plan = parsePlan('guests: { perBoard: 3 }\nhold: 1h\nrepetitions: 3', 'p.yaml');
  const d = fakeDesk(['b01'], { abortDuring: 'hold' });
  const out = await runPlan({ ...d.deps, plan });
  assert.ok(out.aborted);
  assert.is(out.repetitions, 0);
  assert.ok(d.calls.includes('b01 guests.stop {"all":true}'));
  assert.ok(d.names().includes('aborted'));
  assert.is(d.calls.filter((c) => c.includes('power cycle')).length, 1, 'no further repetition');
});

test('runner: a board that goes offline in the hold is lost; the run finishes with the others', async () => {
  const plan = parsePlan('guests: { perBoard: 2 }\nhold: 10s\nrepetitions: 2', 'p.yaml');
  const d = fakeDesk(['b01', 'b02', 'b03'], {
    // Power cycles take every board offline in the boot phase: that is no loss.
    onPhase: (p, off) => { if (p === 'boot') ['b01', 'b02', 'b03'].forEach(off); if (p === 'hold') off('b02'); },
  });
  const out = await runPlan({ ...d.deps, plan });
  assert.equal(out.lost.map((l) => [l.board, l.phase, l.reason]), [['b02', 'hold', 'went offline']]);
  assert.is(out.repetitions, 2);
  assert.is(out.guestsStarted, 2 * 3 + 2 * 2, 'b02 launched in the first repetition only');
  assert.not.ok(d.calls.some((c) => c.startsWith('b02 guests.stop')), 'no stop sent to a board that is gone');
  assert.is(d.calls.filter((c) => c.startsWith('b02')).length, 4, 'nothing sent to b02 after it was lost');
  assert.equal(d.marks.find((m) => m.name === 'board-lost')?.detail, { board: 'b02', phase: 'hold', reason: 'went offline' });
});

test('runner: boards not ready by the boot timeout are lost; the run goes on without them', async () => {
  const plan = parsePlan('guests: { perBoard: 1 }\nhold: 1s\ntimeouts: { boot: 90s }', 'p.yaml');
  const bootDone: number[] = [];
  const d = fakeDesk(['b01', 'b02'], { notReady: ['b02'], onUpdate: (p, done) => { if (p === 'boot') bootDone.push(done); } });
  const out = await runPlan({ ...d.deps, plan });
  assert.equal(out.lost.map((l) => [l.board, l.phase, l.reason]), [['b02', 'boot', 'not ready within 90 s of its power cycle']]);
  assert.equal(bootDone, [1], 'the boot phase ends counting the boards that came back ready');
  assert.equal(d.calls.filter((c) => c.includes('guests.')).map((c) => c.split(' ').slice(0, 2).join(' ')), ['b01 guests.start', 'b01 guests.stop']);
});

test('runner: a board that does not answer a launch step within its timeout is lost; the next steps do not wait on it', async () => {
  const plan = parsePlan('guests: { perBoard: 4, ramp: { batch: 1, every: 0 } }\nhold: 1s\nreboot: false\ntimeouts: { launchStep: 200ms }', 'p.yaml');
  const d = fakeDesk(['b01', 'b02'], {
    behave: (b, op, _a, timeoutMs) => (b === 'b02' && op === 'guests.start'
      ? new Promise((_r, reject) => setTimeout(() => reject(new RequestTimeoutError(b, op, timeoutMs)), timeoutMs)) : undefined),
  });
  const t0 = performance.now();
  const out = await runPlan({ ...d.deps, plan });
  assert.ok(performance.now() - t0 < 2000, 'one timeout, not four');
  assert.equal(out.lost.map((l) => [l.board, l.phase, l.reason]), [['b02', 'launch', 'no answer to guests.start within 0.2 s']]);
  assert.is(out.guestsStarted, 4);
  assert.is(d.calls.filter((c) => c.startsWith('b02 guests.start')).length, 1);
});

test('runner: a board lost while a launch step waits on it ends that wait at once', async () => {
  const plan = parsePlan('guests: { perBoard: 2 }\nhold: 1s\nreboot: false', 'p.yaml');
  let off: ((b: string) => void) | undefined;
  const d = fakeDesk(['b01', 'b02'], {
    onPhase: (p, goOffline) => { if (p === 'launch') off = goOffline; },
    behave: (b, op) => {
      if (b !== 'b02' || op !== 'guests.start') return undefined;
      setTimeout(() => off!('b02'), 50);
      return never();
    },
  });
  const t0 = performance.now();
  const out = await runPlan({ ...d.deps, plan });
  assert.ok(performance.now() - t0 < 2000, `ended in ${performance.now() - t0} ms, not after the 2 min step timeout`);
  assert.equal(out.lost.map((l) => [l.board, l.phase]), [['b02', 'launch']]);
  assert.is(out.guestsStarted, 2);
});

test('runner: a stop during a launch step nobody answers ends at once and gives the guests\' stop a few seconds', async () => {
  const plan = parsePlan('guests: { perBoard: 8 }\nhold: 1s\nreboot: false', 'p.yaml');
  const stopTimeouts: number[] = [];
  const d = fakeDesk(['b01', 'b02'], {
    behave: (_b, op, _a, timeoutMs) => {
      if (op === 'guests.start') return never();
      if (op === 'guests.stop') stopTimeouts.push(timeoutMs);
      return undefined;
    },
  });
  setTimeout(() => d.abort.abort(), 50);
  const t0 = performance.now();
  const out = await runPlan({ ...d.deps, plan });
  assert.ok(performance.now() - t0 < 2000);
  assert.ok(out.aborted);
  assert.equal(stopTimeouts, [STOPPED_RUN_STOP_MS, STOPPED_RUN_STOP_MS]);
  assert.equal(out.lost, [], 'a stop loses no board');
});

test('runner: when every board is lost the run ends and says so', async () => {
  const plan = parsePlan('guests: { perBoard: 1 }\nhold: 1h\nrepetitions: 5', 'p.yaml');
  const d = fakeDesk(['b01'], { onPhase: (p, off) => { if (p === 'hold') off('b01'); } });
  const out = await runPlan({ ...d.deps, plan });
  assert.is(out.repetitions, 0);
  assert.ok(out.problems.includes('no board left in the run'));
  assert.is(d.calls.filter((c) => c.includes('power cycle')).length, 1);
});

test('runner: without a reboot the boards are ready as they are, and the idle phase still comes before the launch', async () => {
  const plan = parsePlan('guests: { perBoard: 2 }\nhold: 1s\nreboot: false\nidle: 7s', 'p.yaml');
  const d = fakeDesk(['b01', 'b02']);
  const at: Record<string, number> = {};
  const mark = d.deps.mark;
  const out = await runPlan({ ...d.deps, plan, mark: (name, detail) => { at[name] ??= d.deps.now(); mark(name, detail); } });
  assert.is(out.guestsStarted, 4);
  assert.equal(d.names().slice(0, 3), ['repetition-start', 'boards-ready', 'launch-start']);
  assert.equal(d.marks[1]!.detail, { boards: 2, rebooted: false });
  assert.is(at['launch-start']! - at['boards-ready']!, 7000, 'the plan\'s idle, between boards-ready and launch-start');
  assert.not.ok(d.calls.some((c) => c.includes('power cycle')));
});

test.run();
