/**
 * The health feature: runs the board's self-checks on the schedule in its config (every 10
 * minutes by default, each board at its own offset within the period) and when asked
 * (`health.check`), and keeps the latest report retained on the board's `health` topic for the
 * desk's health policy. Checks come from the features that own what they check, plus memory,
 * storage and clock.
 */
import { readFile } from 'node:fs/promises';
import { HEALTH_CHECKS, type HealthReport } from '../../broker/contract/health.ts';
import { PAYLOAD_VERSION } from '../../broker/contract/payloads.ts';
import { HEALTH_DEFAULTS, type HealthSettings } from '../config/board-config.ts';
import type { AgentContext, Feature } from '../ops/feature.ts';
import type { ScheduledJob } from '../runtime/scheduler.ts';
import { spreadOffsetMs } from '../runtime/spread.ts';
import { clockCheck, memoryCheck, runChecks, storageCheck } from './checks.ts';
import type { HealthCheck } from '../ops/health-check.ts';

/** This software was written in 2026: a clock reading earlier has not been set. */
export const CLOCK_FLOOR = Date.UTC(2026, 0, 1);

export interface HealthDeps {
  /** The checks other features contribute (flash, images, guests, console). */
  featureChecks(): HealthCheck[];
  /** MemAvailable and MemTotal in bytes; default: /proc/meminfo. */
  memory?(): Promise<{ free: number; total: number }>;
}

export async function procMeminfo(): Promise<{ free: number; total: number }> {
  const text = await readFile('/proc/meminfo', 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  const free = kib('MemAvailable'), total = kib('MemTotal');
  if (!Number.isFinite(free) || !Number.isFinite(total)) throw new Error('/proc/meminfo has no MemAvailable or MemTotal');
  return { free, total };
}

export function healthFeature(ctx: AgentContext, deps: HealthDeps): Feature {
  const { config, clock, scheduler } = ctx;
  const settings: HealthSettings = config.health ?? HEALTH_DEFAULTS;
  let job: ScheduledJob | undefined;
  let running: Promise<HealthReport> | undefined;

  const checks = (): HealthCheck[] => {
    const all = [
      ...deps.featureChecks(),
      memoryCheck(deps.memory ?? procMeminfo, settings.minFreeMemMiB),
      storageCheck(settings.storageDir ?? config.flash?.dir ?? '.', settings.minFreeStorageMiB),
      clockCheck(clock, CLOCK_FLOOR),
    ];
    return all.sort((a, b) => HEALTH_CHECKS.indexOf(a.name) - HEALTH_CHECKS.indexOf(b.name));
  };

  /** One run at a time: a request during a scheduled run gets that run's report. */
  const check = (trigger: HealthReport['trigger']): Promise<HealthReport> => {
    running ??= (async () => {
      const results = await runChecks(checks(), clock);
      const report: HealthReport = { v: PAYLOAD_VERSION, board: config.board, at: clock.now(), trigger, ok: results.every((r) => r.ok), checks: results };
      ctx.publish('health', report, true);
      if (!report.ok) ctx.logger.warn('self-check failed', { failed: results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`) });
      return report;
    })().finally(() => (running = undefined));
    return running;
  };

  return {
    handlers: {
      'health.check': () => check('command'),
    },
    start() {
      // Each board at its own offset within the period: a desk's boards share one schedule.
      job = scheduler.cron('health', settings.schedule, async () => {
        await check('schedule');
      }, { offsetMs: (periodMs) => spreadOffsetMs(config.board, periodMs) });
    },
    async stop() {
      job?.stop();
      await running?.catch(() => undefined);
    },
  };
}
