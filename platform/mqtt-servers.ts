/**
 * A broker cluster's nodes as mqtt.js' `servers` option: mqtt.js tries them in turn, one per
 * connection attempt, so a client whose node dies is on the next one at its next reconnect
 * (reconnectPeriod later). One URL: no `servers`, the client behaves as it always did.
 */
export interface MqttServer {
  host: string;
  port: number;
  protocol: 'mqtt' | 'mqtts';
}

const DEFAULT_PORT = { mqtt: 1883, mqtts: 8883 } as const;

export function mqttServer(url: string): MqttServer {
  const u = new URL(url);
  const protocol = u.protocol.slice(0, -1);
  if (protocol !== 'mqtt' && protocol !== 'mqtts') throw new Error(`${url}: not an mqtt:// or mqtts:// URL`);
  return { host: u.hostname, port: u.port ? Number(u.port) : DEFAULT_PORT[protocol], protocol };
}

/** The `servers` option for these URLs, starting at `first`; {} for a single broker. */
export function serversOption(urls: readonly string[], first = 0): { servers?: MqttServer[] } {
  if (urls.length < 2) return {};
  const rotated = [...urls.slice(first), ...urls.slice(0, first)];
  return { servers: rotated.map(mqttServer) };
}
