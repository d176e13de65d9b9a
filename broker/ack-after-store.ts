/**
 * QoS 1: PUBACK only once the broker has stored the message. aedes 1.2 writes a QoS 1 PUBACK
 * before it publishes (lib/handlers/publish.js: `write(PubAck)`, then `broker.publish`), so a
 * broker that dies, or a store that fails, between the two has acknowledged a message that is
 * in no offline queue and no retained slot, and the publisher has already forgotten it.
 *
 * authorizePublish is aedes' only hook that runs before that write and may wait. So a client's
 * QoS 1 PUBLISH is published there, once the policy allows it: aedes' publish stores the retained
 * copy, queues it for every persistent session and hands it to live subscribers, and calls back
 * when the store has committed those writes. Then aedes writes the PUBACK and publishes the same
 * packet object again, which is skipped here. A publish that fails answers the authorization
 * with its error: aedes drops the connection without a PUBACK, and the client sends the message
 * again when it reconnects.
 *
 * QoS 2 needs nothing: aedes stores the packet and publishes it before it answers PUBREC.
 */
import type { Aedes, AedesOptions, Client } from 'aedes';

type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;
type PublishPacket = Parameters<AuthorizePublish>[1];
type Done = (error?: Error | null) => void;
/** aedes' publish as it is, not as its typings say: (packet, done) or (packet, client, done). */
type Publish = (packet: PublishPacket, client: Client | null | Done, done?: Done) => void;

export interface AckAfterStore {
  authorizePublish: AuthorizePublish;
  /** Takes over the broker's publish; until then authorizePublish only authorizes. */
  attach(broker: Aedes): void;
}

/** `authorize`: the policy's hook (hooks.ts), which decides; this only moves the publish. */
export function ackAfterStore(authorize: AuthorizePublish): AckAfterStore {
  // Packets already published from authorizePublish, waiting for aedes' own publish to skip.
  const published = new WeakSet<PublishPacket>();
  let publish: Publish | undefined;

  return {
    authorizePublish(client, packet, callback) {
      authorize(client, packet, (err) => {
        // Wills (no `cmd`) and the broker's own publishes keep aedes' order: no PUBACK is at stake.
        if (err || !client || !publish || packet.cmd !== 'publish' || packet.qos !== 1) return callback(err);
        publish(packet, client, (publishError) => {
          if (publishError) return callback(publishError);
          published.add(packet);
          callback(null);
        });
      });
    },

    attach(broker) {
      const target = broker as unknown as { publish: Publish };
      const original: Publish = target.publish.bind(broker);
      publish = original;
      target.publish = (packet, client, done) => {
        const callback = typeof client === 'function' ? client : done;
        if (published.delete(packet)) return callback?.(null);
        original(packet, client, done);
      };
    },
  };
}
