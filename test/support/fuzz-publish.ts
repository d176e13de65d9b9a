/**
 * Publishing a fuzz corpus through the broker, and telling a publish the broker took from one
 * it refused. MQTT 3.1.1 cannot answer a PUBLISH with "no": the desk broker closes the
 * connection instead (docs/mqtt.md), so a QoS 1 publish refused is one whose connection
 * closed before its PUBACK.
 */
import type { MqttClient } from 'mqtt';
import type { FuzzMessage } from './view-fuzz-corpus.ts';

/** Resolves true when the broker closed the connection instead of acknowledging; the client is ended either way if refused. */
export function refusedPublish(client: MqttClient, topic: string, payload: Buffer | string, retain = false): Promise<boolean> {
  return new Promise((resolve) => {
    client.once('close', () => {
      client.end(true);
      resolve(true);
    });
    client.publish(topic, payload, { qos: 1, retain }, (err) => { if (!err) resolve(false); });
  });
}

export interface PublishPlan {
  /** Who publishes a message: a client that stays, or a fresh one the broker is expected to drop. */
  pick(m: FuzzMessage): MqttClient | 'throwaway';
  throwaway(): Promise<MqttClient>;
}

/** Publishes in corpus order (QoS 1, a few in flight per client); counts what the broker took and refused. */
export async function publishAll(corpus: readonly FuzzMessage[], plan: PublishPlan): Promise<{ taken: number; refused: number }> {
  let taken = 0;
  let refused = 0;
  const inFlight: Promise<unknown>[] = [];
  for (const m of corpus) {
    const client = plan.pick(m);
    if (client === 'throwaway') {
      await Promise.all(inFlight.splice(0));
      if (await refusedPublish(await plan.throwaway(), m.topic, m.payload, m.retain)) refused++;
      else taken++;
      continue;
    }
    inFlight.push(client.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain }).then(() => taken++));
    if (inFlight.length >= 20) await Promise.all(inFlight.splice(0));
  }
  await Promise.all(inFlight);
  return { taken, refused };
}
