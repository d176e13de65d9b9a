/** The desk's current experiment (broker/contract/experiment.ts) as Prometheus metrics. */
import { Gauge, type Registry } from 'prom-client';
import { experimentIsStale, type ExperimentProgress } from '../../broker/contract/experiment.ts';
import { show } from './show.ts';

export function experimentMetrics(registry: Registry) {
  const registers = [registry];
  // The info pattern: a constant 1 whose labels carry the text, joined to other series in PromQL.
  const info = new Gauge({
    name: 'deskbox_experiment_info',
    help: 'The desk\'s latest experiment: run id, plan, phase (empty between phases) and state (stale: running, but its runner went silent); always 1',
    labelNames: ['run', 'plan', 'phase', 'state'] as const,
    registers,
  });
  const progress = new Gauge({
    name: 'deskbox_experiment_progress_ratio',
    help: 'Share of the current phase\'s work done (boards booted, guests launched, seconds held)',
    registers,
  });
  const repetition = new Gauge({ name: 'deskbox_experiment_repetition', help: 'Which repetition of the plan is running (1-based)', registers });

  return {
    update(latest: ExperimentProgress | undefined, now: number): void {
      info.reset();
      if (latest) info.set({ run: latest.run, plan: latest.plan, phase: latest.phase ?? '', state: experimentIsStale(latest, now) ? 'stale' : latest.state }, 1);
      show(progress, latest && (latest.total > 0 ? Math.min(latest.done / latest.total, 1) : 0));
      show(repetition, latest?.repetition);
    },
  };
}
