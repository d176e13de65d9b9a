/**
 * A board's availability as a plain retained word, the way zigbee2mqtt and Tasmota give it
 * (`deskbox/<desk>/boards/<board>/availability`: `online` or `offline`), for clients that
 * want no JSON: Home Assistant's availability_topic, dashboards, scripts. The board's status
 * JSON stays the source (its last will sets it offline); the broker derives this from each
 * status published, the will's included (broker/availability-bridge.ts).
 */
import { MAX_PAYLOAD_BYTES } from './messages.ts';

export const AVAILABILITY = ['online', 'offline'] as const;
export type Availability = (typeof AVAILABILITY)[number];

/**
 * What a status payload says of availability: its `state`, read from any JSON object that has
 * one of the two words there (a board of another agent version may add or drop other fields,
 * and is no less online); undefined otherwise.
 */
export function availabilityOfStatus(payload: Uint8Array | string): Availability | undefined {
  if ((typeof payload === 'string' ? payload.length : payload.byteLength) > MAX_PAYLOAD_BYTES) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  } catch {
    return undefined;
  }
  const state = json !== null && typeof json === 'object' ? (json as { state?: unknown }).state : undefined;
  return (AVAILABILITY as readonly unknown[]).includes(state) ? state as Availability : undefined;
}
