/**
 * Running self-checks: each one a name and a function that says what it found; the runner
 * times each, bounds it (a check that hangs is a failed check, not a stuck agent) and turns a
 * throw into a failure with its message. Features contribute the checks of what they own
 * (flash: the active slot; images: the store; guests: a launch; console: its line); the
 * board-wide ones are here.
 */
import { statfs } from 'node:fs/promises';
import type { HealthCheckResult } from '../../broker/contract/health.ts';
import type { Finding, HealthCheck } from '../ops/health-check.ts';
import type { Clock } from '../../platform/clock.ts';

export const CHECK_TIMEOUT_MS = 60_000;

export async function runChecks(checks: readonly HealthCheck[], clock: Clock, timeoutMs = CHECK_TIMEOUT_MS): Promise<HealthCheckResult[]> {
  const results: HealthCheckResult[] = [];
  // One at a time: a guest launch and a slot read at once would measure each other.
  for (const check of checks) {
    const started = clock.monotonic();
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const timeout = new Promise<Finding>((resolve) => {
      timer = clock.setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    });
    const finding = await Promise.race([
      Promise.resolve().then(() => check.run()).catch((e: unknown) => ({ ok: false, detail: e instanceof Error ? e.message : String(e) })),
      timeout,
    ]);
    if (timer) clock.clearTimeout(timer);
    results.push({ name: check.name, ok: finding.ok, detail: finding.detail.slice(0, 500), ms: Math.round(clock.monotonic() - started) });
  }
  return results;
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${Math.round(bytes / MIB)} MiB`;

/** Free memory as the kernel counts what can be had without swapping (MemAvailable). */
export function memoryCheck(available: () => Promise<{ free: number; total: number }>, minFreeMiB: number): HealthCheck {
  return {
    name: 'memory',
    async run() {
      const { free, total } = await available();
      return { ok: free >= minFreeMiB * MIB, detail: `${mib(free)} free of ${mib(total)} (at least ${minFreeMiB} MiB wanted)` };
    },
  };
}

export function storageCheck(dir: string, minFreeMiB: number): HealthCheck {
  return {
    name: 'storage',
    async run() {
      const s = await statfs(dir);
      const free = s.bavail * s.bsize;
      return { ok: free >= minFreeMiB * MIB, detail: `${mib(free)} free of ${mib(s.blocks * s.bsize)} in ${dir} (at least ${minFreeMiB} MiB wanted)` };
    },
  };
}

/**
 * A board without a real-time clock boots in 1970 until NTP or the desk sets it; telemetry,
 * schedules and boot times are wrong until then. Sane: not before this agent was built.
 */
export function clockCheck(clock: Clock, notBefore: number): HealthCheck {
  return {
    name: 'clock',
    run() {
      const now = clock.now();
      const iso = new Date(now).toISOString();
      return now >= notBefore ? { ok: true, detail: `reads ${iso}` } : { ok: false, detail: `reads ${iso}, before this agent was built (${new Date(notBefore).toISOString()})` };
    },
  };
}
