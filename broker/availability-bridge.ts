/**
 * Keeps each board's plain availability topic (contract/availability.ts) in step with its
 * status: every status the broker publishes (a board's own, or its last will) is answered by a
 * retained `online`/`offline` on `.../availability`, and an empty status (its retained copy
 * cleared) clears the availability too. Boards publish a status a few times a boot, so each
 * one is answered, with no memory of what was said: in a cluster another node may have said
 * something since. The broker publishes it itself and boards may not (policy.ts), so the word
 * always agrees with the status it came from.
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

export function bridgeAvailability(broker: Aedes, logger: Logger): void {
  broker.on('publish', (packet: PublishPacket) => {
    const step = availabilityStep(packet.topic, packet.payload as Uint8Array);
    if (!step) return;
    broker.publish({ cmd: 'publish', topic: step.topic, payload: Buffer.from(step.word), qos: 1, retain: true, dup: false }, (err) => {
      if (err) logger.warn('availability not published', { topic: step.topic, error: err.message });
    });
  });
}
