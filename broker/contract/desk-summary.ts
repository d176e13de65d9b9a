/**
 * The whole desk in a few figures, for clients that show a desk rather than its boards (Home
 * Assistant's desk device, docs/metrics.md):
 *
 *   deskbox/<desk>/summary    retained, QoS 1, published by the host role while Home Assistant
 *                             discovery runs (`deskbox metrics|dashboard --home-assistant`)
 *       {"v":1,"at":<ms>,"boards":<n>,"online":<n>,"powerW":<W>,"energyJ":<J>,"guestsRunning":<n>}
 *
 * `boards` counts the boards the desk expects or has heard of, `online` those whose status says
 * so; `powerW` is the online boards' latest power summed, `energyJ` the boards' own energy
 * counters summed (each resets with its agent), `guestsRunning` the online boards' guests.
 */
import * as v from 'valibot';
import { ROOT, assertId } from './topics.ts';

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const amount = v.pipe(v.number(), v.minValue(0));

export const DeskSummarySchema = v.object({
  v: v.literal(1),
  at: count,
  boards: count,
  online: count,
  powerW: amount,
  energyJ: amount,
  guestsRunning: count,
});
export type DeskSummary = v.InferOutput<typeof DeskSummarySchema>;

export function deskSummaryTopic(desk: string): string {
  assertId('desk', desk);
  return `${ROOT}/${desk}/summary`;
}
