/**
 * The running experiment as the desk's dashboards see it: the runner's phase progress,
 * published retained on `deskbox/<desk>/experiment` (broker/contract/experiment.ts). Updates
 * are throttled: a launch ramp of 490 boards must not become thousands of messages.
 */
import { EXPERIMENT_HEARTBEAT_MS, experimentTopic, type ExperimentProgress } from '../../broker/contract/experiment.ts';
import type { PhaseProgress } from './runner.ts';

export interface ProgressPublisherOptions {
  desk: string;
  run: string;
  plan: string;
  boards: number;
  repetitions: number;
  now(): number;
  /** Sends one retained QoS 1 message; failures are the caller's to log, never the run's. */
  publish(topic: string, payload: string): void;
  minIntervalMs?: number;
}

export interface ProgressPublisher extends PhaseProgress {
  /** The runner's marks: `repetition-start` moves the repetition counter. */
  mark(name: string, detail?: unknown): void;
  finish(state: 'done' | 'aborted' | 'failed', error?: string): void;
  /** Call often (every second): republishes when nothing was sent for a heartbeat, so a stale state can be told apart. */
  tick(): void;
}

/**
 * The state a broker publishes for a runner that vanished without finishing: its connection's
 * will, set when it connects (the run id is known by then, its progress is not).
 */
export function abandonedRun(o: Pick<ProgressPublisherOptions, 'run' | 'plan' | 'boards' | 'repetitions' | 'now'>): ExperimentProgress {
  const at = o.now();
  return {
    v: 1, run: o.run, plan: o.plan, state: 'aborted', phase: null, repetition: 1, repetitions: o.repetitions,
    done: 0, total: 0, boards: o.boards, startedAt: at, updatedAt: at, error: 'the runner stopped without finishing (killed, or its connection lost)',
  };
}

export function createProgressPublisher(o: ProgressPublisherOptions): ProgressPublisher {
  const topic = experimentTopic(o.desk);
  const minIntervalMs = o.minIntervalMs ?? 500;
  const current: ExperimentProgress = {
    v: 1, run: o.run, plan: o.plan, state: 'running', phase: null, repetition: 1, repetitions: o.repetitions,
    done: 0, total: 0, boards: o.boards, startedAt: o.now(), updatedAt: o.now(),
  };
  let sentAt = -Infinity;
  const send = (force: boolean) => {
    const now = o.now();
    if (!force && now - sentAt < minIntervalMs) return;
    sentAt = now;
    current.updatedAt = now;
    o.publish(topic, JSON.stringify(current));
  };
  send(true);
  return {
    start(phase, total) {
      Object.assign(current, { phase, total: Math.max(0, Math.round(total)), done: 0 });
      send(true);
    },
    update(done) {
      current.done = Math.max(0, Math.min(current.total, Math.round(done)));
      send(false);
    },
    end() {
      current.done = current.total;
      send(true);
    },
    mark(name, detail) {
      const repetition = (detail as { repetition?: unknown } | undefined)?.repetition;
      if (name === 'repetition-start' && typeof repetition === 'number') current.repetition = repetition;
    },
    finish(state, error) {
      Object.assign(current, { state, phase: null }, error ? { error } : {});
      send(true);
    },
    tick() {
      if (current.state === 'running' && o.now() - sentAt >= EXPERIMENT_HEARTBEAT_MS) send(true);
    },
  };
}

/** One progress fed to several (the terminal's bars and the desk's topic). */
export function teeProgress(...all: PhaseProgress[]): PhaseProgress {
  return {
    start: (phase, total, unit) => all.forEach((p) => p.start(phase, total, unit)),
    update: (done) => all.forEach((p) => p.update(done)),
    end: () => all.forEach((p) => p.end()),
  };
}
