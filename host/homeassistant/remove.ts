/**
 * Turning discovery off for good: clears every config of a desk that the broker retains,
 * boards long gone included, so Home Assistant drops their entities. Needs the host role.
 */
import type { MqttClient } from 'mqtt';
import { DISCOVERY_ROOT } from '../../broker/contract/topics.ts';
import { readRetained } from '../client/connect.ts';
import { COMPONENTS, isDeskConfigTopic } from './discovery.ts';

export async function removeHomeAssistantDiscovery({ client, desk, prefix = DISCOVERY_ROOT }: { client: MqttClient; desk: string; prefix?: string }): Promise<string[]> {
  const filters = COMPONENTS.map((component) => `${prefix}/${component}/+/+/config`);
  const found = new Set<string>();
  const onMessage = (topic: string, payload: Buffer) => {
    if (payload.length > 0 && isDeskConfigTopic(desk, topic, prefix)) found.add(topic);
  };
  await readRetained(client, filters, onMessage, { quietMs: 300, deadlineMs: 5000 });
  await Promise.all([...found].map((topic) => client.publishAsync(topic, '', { qos: 1, retain: true })));
  return [...found].sort();
}
