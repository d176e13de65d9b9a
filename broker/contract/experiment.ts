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
 * says how the last experiment ended.
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

export function experimentTopic(desk: string): string {
  assertId('desk', desk);
  return `${ROOT}/${desk}/experiment`;
}

export const decodeExperimentProgress = (payload: Buffer | string) => decodeJson(ExperimentProgressSchema, payload);
