/**
 * The experiment running on a desk, for dashboards (docs/mqtt.md):
 *
 *   deskbox/<desk>/experiment    retained, QoS 1, published by `deskbox run` (host role)
 *       {"v":1,"run":"<run id>","plan":"<plan name>","state":"running"|"done"|"aborted"|"failed",
 *        "phase":"flash"|"boot"|"launch"|"hold"|"stop"|null,"repetition":1,"repetitions":1,
 *        "done":<n>,"total":<n>,"boards":<n>,"startedAt":<ms>,"updatedAt":<ms>,"error"?:"..."}
 *
 * `done`/`total` count the current phase's work (boards booted, guests launched, seconds held).
 * The last message of a run stays retained with its final state, so a page opened later still
 * says how the last experiment ended. A running experiment is republished at least every
 * EXPERIMENT_HEARTBEAT_MS, and its runner's connection carries a will that says `aborted`: a
 * runner killed outright is cleared by the broker; one whose will was lost too (the broker was
 * down when it died) is recognised by its age (experimentIsStale) until the next run replaces it.
 */
import * as v from 'valibot';
import { ROOT, assertId } from './topics.ts';
import { decodeJson } from './messages.ts';

export const EXPERIMENT_PHASES = ['flash', 'boot', 'launch', 'hold', 'stop'] as const;
export const EXPERIMENT_STATES = ['running', 'done', 'aborted', 'failed'] as const;

const count = v.pipe(v.number(), v.integer(), v.minValue(0));

export const ExperimentProgressSchema = v.object({
  v: v.literal(1),
  run: v.string(),
  plan: v.string(),
  state: v.picklist(EXPERIMENT_STATES),
  phase: v.nullable(v.picklist(EXPERIMENT_PHASES)),
  repetition: count,
  repetitions: count,
  done: count,
  total: count,
  boards: count,
  startedAt: count,
  updatedAt: count,
  error: v.optional(v.string()),
});
export type ExperimentProgress = v.InferOutput<typeof ExperimentProgressSchema>;

export const EXPERIMENT_HEARTBEAT_MS = 10_000;

/** A `running` experiment not heard of for three heartbeats: its runner is gone. */
export function experimentIsStale(p: ExperimentProgress, now: number): boolean {
  return p.state === 'running' && now - p.updatedAt > 3 * EXPERIMENT_HEARTBEAT_MS;
}

export function experimentTopic(desk: string): string {
  assertId('desk', desk);
  return `${ROOT}/${desk}/experiment`;
}

export const decodeExperimentProgress = (payload: Uint8Array | string) => decodeJson(ExperimentProgressSchema, payload);
