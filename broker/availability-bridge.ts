/**
 * Keeps each board's plain availability topic (contract/availability.ts) in step with its
 * status: every status the broker publishes (a board's own, or its last will) is answered by a
 * retained `online`/`offline` on `.../availability`, and an empty status (its retained copy
 * cleared) clears the availability too. Boards publish a status a few times a boot, so each
 * one is answered, with no memory of what was said: in a cluster another node may have said
 * something since. The broker publishes it itself and boards may not (policy.ts), so the word
 * always agrees with the status it came from.
 *
 * An offline status also clears the board's retained telemetry: a board without power sends
 * nothing more, and its last sample (1.1 W) must not go on claiming power to every reader that
 * subscribes later. Readers take an empty telemetry as "no sample" (docs/mqtt.md).
 */
import type { Aedes, PublishPacket } from 'aedes';
import { availabilityOfStatus, type Availability } from './contract/availability.ts';
import { boardTopic, parseBoardTopic } from './contract/topics.ts';
import type { Logger } from '../platform/log.ts';

/** The availability publish a publish calls for, if any; '' clears it. */
export function availabilityStep(topic: string, payload: Uint8Array): { topic: string; word: Availability | '' } | undefined {
  const t = parseBoardTopic(topic);
  if (t?.channel !== 'status') return undefined;
  const word = payload.byteLength === 0 ? '' : availabilityOfStatus(payload);
  return word === undefined ? undefined : { topic: boardTopic(t.desk, t.board, 'availability'), word };
}

/** Every retained publish a publish calls for: the availability word, and a cleared telemetry when the board went offline. */
export function statusSteps(topic: string, payload: Uint8Array): { topic: string; payload: string }[] {
  const step = availabilityStep(topic, payload);
  if (!step) return [];
  const steps = [{ topic: step.topic, payload: step.word }];
  const t = parseBoardTopic(topic)!;
  if (step.word === 'offline') steps.push({ topic: boardTopic(t.desk, t.board, 'telemetry'), payload: '' });
  return steps;
}

export function bridgeAvailability(broker: Aedes, logger: Logger): void {
  broker.on('publish', (packet: PublishPacket) => {
    for (const step of statusSteps(packet.topic, packet.payload as Uint8Array)) {
      broker.publish({ cmd: 'publish', topic: step.topic, payload: Buffer.from(step.payload), qos: 1, retain: true, dup: false }, (err) => {
        if (err) logger.warn('status step not published', { topic: step.topic, error: err.message });
      });
    }
  });
}
