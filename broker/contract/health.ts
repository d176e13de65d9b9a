/**
 * A board's self-check report, retained on `deskbox/<desk>/boards/<board>/health` (docs/mqtt.md)
 * and answered by the `health.check` op: each check's name, verdict and a line saying what it
 * found, so the desk's health policy (host/health/) and a person read the same evidence.
 *
 *   {"v":1,"board":"b07","at":<ms>,"trigger":"schedule"|"command","ok":false,
 *    "checks":[{"name":"slot","ok":false,"detail":"slot a: sha256 mismatch","ms":412}, ...]}
 *
 * And the desk's verdict on each board, retained on `deskbox/<desk>/health/<board>` by the
 * desk's health service (host/health/service.ts), which board sets, the dashboard and /metrics
 * read to leave quarantined boards out:
 *
 *   {"v":1,"board":"b07","state":"quarantined","since":<ms>,"reason":"2 failed self-checks in a row"}
 */
import * as v from 'valibot';
import { ROOT } from './topics.ts';

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

export const VERDICT_STATES = ['healthy', 'suspect', 'quarantined', 'recovering', 'retired'] as const;
export type VerdictState = (typeof VERDICT_STATES)[number];

export const BoardVerdictSchema = v.object({
  v: v.literal(1),
  board: v.string(),
  state: v.picklist(VERDICT_STATES),
  since: v.pipe(v.number(), v.integer(), v.minValue(0)),
  reason: v.pipe(v.string(), v.maxLength(500)),
});
export type BoardVerdict = v.InferOutput<typeof BoardVerdictSchema>;

/** Verdicts that take a board out of service: board sets leave it out, the dashboard marks it. */
const OUT_OF_SERVICE: ReadonlySet<VerdictState> = new Set(['quarantined', 'recovering', 'retired']);
export const isOutOfService = (state: VerdictState) => OUT_OF_SERVICE.has(state);

/**
 * A person's decision on a board (`deskbox health recover|admit|retire`), sent by the host role
 * to `deskbox/<desk>/health/<board>/set` for the desk's health service (not retained).
 */
export const HEALTH_ACTIONS = ['recover', 'admit', 'retire'] as const;
export const HealthRequestSchema = v.object({
  v: v.literal(1),
  action: v.picklist(HEALTH_ACTIONS),
  /** Who asked, for the record. */
  by: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
});
export type HealthRequest = v.InferOutput<typeof HealthRequestSchema>;
export const healthRequestTopic = (desk: string, board: string) => `${ROOT}/${desk}/health/${board}/set`;
export const healthRequestFilter = (desk: string) => `${ROOT}/${desk}/health/+/set`;

/** The desk's verdict on one board (retained). */
export const verdictTopic = (desk: string, board: string) => `${ROOT}/${desk}/health/${board}`;
/** Every board's verdict. */
export const verdictFilter = (desk: string) => `${ROOT}/${desk}/health/+`;
