/**
 * The telemetry feature: samples the power sensor into energy every `samplePeriodS`, and
 * every telemetry period (`telemetry.period` changes it) takes a fresh reading and publishes
 * the retained sample.
 */
import type { Telemetry } from '../../broker/contract/payloads.ts';
import { CommandError } from '../ops/command-error.ts';
import type { AgentContext, Feature } from '../ops/feature.ts';
import type { ScheduledJob } from '../runtime/scheduler.ts';
import { telemetrySample } from './sample.ts';
import { createTelemetrySampler, type TelemetrySampler } from './sampler.ts';

export interface TelemetryDeps {
  /** When the board got power (or the agent began): uptime counts from it. */
  bootedAt: number;
  /** The guests' line of each sample. */
  guests(): Telemetry['guests'];
}

export interface TelemetryFeature extends Feature {
  /** A sample now, from the latest reading (watchers need not wait a period to see a change). */
  publish(): void;
}

export function telemetryFeature(ctx: AgentContext, deps: TelemetryDeps): TelemetryFeature {
  const { config, clock, scheduler } = ctx;
  let sampler: TelemetrySampler | undefined;
  let job: ScheduledJob | undefined;
  let seq = 0;

  const publish = () => {
    if (!sampler?.last) return;
    ctx.publish('telemetry', telemetrySample({
      board: config.board, now: clock.now(), seq: seq++, bootedAt: deps.bootedAt, reading: sampler.last, energyJ: sampler.energyJ,
      load: sampler.load(), guests: deps.guests(),
    }), true);
  };
  /** Telemetry takes its own reading so the energy it reports is never a tick behind. */
  const schedule = (seconds: number) => {
    job?.stop();
    job = scheduler.every('telemetry', seconds, async () => {
      await sampler!.sample();
      publish();
    });
  };

  return {
    publish,
    handlers: {
      'telemetry.period': ({ seconds }) => {
        if (!job) throw new CommandError('failed', 'telemetry is not running yet');
        schedule(seconds);
        return { seconds };
      },
    },
    async attach(hw) {
      sampler = createTelemetrySampler(hw.power, clock);
      await sampler.sample();
    },
    start() {
      scheduler.every('sample', config.samplePeriodS, async () => { await sampler!.sample(); });
      schedule(config.telemetryPeriodS);
    },
    online: publish,
  };
}
