/** The guests' line in board telemetry: counts by phase and boot-time percentiles. */
import type { GuestRecord } from './planner.ts';

export interface GuestsSummary {
  runtime: 'crun' | 'process';
  running: number;
  ready: number;
  failed: number;
  bootMs?: { p50: number; p95: number; max: number; count: number };
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no samples');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function bootStats(times: readonly number[]): GuestsSummary['bootMs'] {
  if (times.length === 0) return undefined;
  const sorted = [...times].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted[sorted.length - 1]!), count: sorted.length };
}

export function summarizeGuests(runtime: GuestsSummary['runtime'], records: readonly GuestRecord[], bootTimes: readonly number[]): GuestsSummary {
  let running = 0;
  let ready = 0;
  let failed = 0;
  for (const r of records) {
    if (r.phase === 'ready') ready++;
    if (r.phase === 'ready' || r.phase === 'running' || r.phase === 'starting') running++;
    if (r.phase === 'failed') failed++;
  }
  const bootMs = bootStats(bootTimes);
  return { runtime, running, ready, failed, ...(bootMs ? { bootMs } : {}) };
}
