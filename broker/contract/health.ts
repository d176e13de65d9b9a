/**
 * A board's self-check report, retained on `deskbox/<desk>/boards/<board>/health` (docs/mqtt.md)
 * and answered by the `health.check` op: each check's name, verdict and a line saying what it
 * found, so the desk's health policy (host/health/) and a person read the same evidence.
 *
 *   {"v":1,"board":"b07","at":<ms>,"trigger":"schedule"|"command","ok":false,
 *    "checks":[{"name":"slot","ok":false,"detail":"slot a: sha256 mismatch","ms":412}, ...]}
 */
import * as v from 'valibot';

/** The checks a board runs, in the order it runs them (board/health/checks.ts). */
export const HEALTH_CHECKS = ['slot', 'images', 'memory', 'storage', 'clock', 'guest-launch', 'console'] as const;
export type HealthCheckName = (typeof HEALTH_CHECKS)[number];
export const HEALTH_TRIGGERS = ['schedule', 'command'] as const;

export const HealthCheckResultSchema = v.object({
  name: v.picklist(HEALTH_CHECKS),
  ok: v.boolean(),
  /** What it found, in a line (`412 MiB free of 496`); why it failed when it did. */
  detail: v.pipe(v.string(), v.maxLength(500)),
  ms: v.pipe(v.number(), v.finite(), v.minValue(0)),
});
export type HealthCheckResult = v.InferOutput<typeof HealthCheckResultSchema>;

export const HealthReportSchema = v.object({
  v: v.literal(1),
  board: v.string(),
  at: v.pipe(v.number(), v.integer(), v.minValue(0)),
  trigger: v.picklist(HEALTH_TRIGGERS),
  ok: v.boolean(),
  checks: v.pipe(v.array(HealthCheckResultSchema), v.maxLength(HEALTH_CHECKS.length)),
});
export type HealthReport = v.InferOutput<typeof HealthReportSchema>;
