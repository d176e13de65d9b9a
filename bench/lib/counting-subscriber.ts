/**
 * The baseline beside the host side: a plain mqtt.js subscriber on the same topics, QoS 1, that
 * only counts messages by channel and how late telemetry arrived (its `at` read with a regex,
 * no JSON parse, no schema, no store). What it sees is what the broker delivered.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { boardPrefix } from '../../broker/contract/topics.ts';

export interface CountingSubscriber {
  counts(): Record<string, number>;
  /** Receive time minus the sample's own `at`, ms, one entry per telemetry message. */
  telemetryLagMs(): number[];
  close(): Promise<void>;
}

const AT = /"at":(\d+)/;

export async function startCountingSubscriber(url: string, username: string, password: string, desk: string): Promise<CountingSubscriber> {
  const client: MqttClient = await mqtt.connectAsync(url, { clientId: `seedscale-baseline-${process.pid}`, username, password, protocolVersion: 4, clean: true });
  const counts: Record<string, number> = {};
  const lags: number[] = [];
  client.on('message', (topic, payload) => {
    const channel = topic.slice(topic.lastIndexOf('/') + 1);
    counts[channel] = (counts[channel] ?? 0) + 1;
    if (channel === 'telemetry') lags.push(Date.now() - Number(AT.exec(payload.toString())?.[1]));
  });
  await client.subscribeAsync(`${boardPrefix(desk, '+')}/+`, { qos: 1 });
  return { counts: () => ({ ...counts }), telemetryLagMs: () => lags, close: () => client.endAsync() };
}
