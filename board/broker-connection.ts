/**
 * The agent's MQTT connection to the desk broker: its reserved client id, a persistent session
 * (commands sent while the board was briefly away wait for it), its last will, a retry every
 * second, and for mqtts:// the desk's CA from `caFile`. A broker certificate that does not
 * verify against it is said once, as an error naming the CA file, until a connection succeeds:
 * it will not fix itself at the next retry, and the log should show it, not bury it.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { boardClientId } from '../broker/contract/topics.ts';
import type { Logger } from '../platform/log.ts';
import { certificateProblem } from '../platform/tls-errors.ts';
import { serversOption } from '../platform/mqtt-servers.ts';
import type { BoardConfig } from './config/board-config.ts';

export interface ConnectionOptions {
  config: BoardConfig;
  password: string;
  /** Published retained (QoS 1) by the broker when the connection dies. */
  will: { topic: string; payload: Buffer };
  logger: Logger;
  /** Every (re)connection. */
  onConnect(): void;
}

export function openBrokerConnection(opts: ConnectionOptions): MqttClient {
  const { config, logger } = opts;
  // A cluster's nodes: mqtt.js tries the next one at each reconnect (a second apart).
  const urls = config.broker.urls ?? [config.broker.url];
  const client = mqtt.connect(config.broker.url, {
    ...serversOption(urls, Math.max(0, urls.indexOf(config.broker.url))),
    clientId: boardClientId(config.desk, config.board),
    username: config.broker.username,
    password: opts.password,
    // Read here, once: mqtt.js keeps it for its reconnects.
    ...(config.broker.caFile ? { ca: readFileSync(config.broker.caFile) } : {}),
    protocolVersion: 4,
    clean: false,
    keepalive: config.keepaliveS,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    will: { ...opts.will, qos: 1, retain: true },
  });
  let untrusted = false;
  client.on('connect', () => {
    untrusted = false;
    const { protocol, host, port } = client.options;
    logger.info('connected', { broker: urls.length > 1 ? `${protocol}://${host}:${port}` : config.broker.url });
    opts.onConnect();
  });
  client.on('error', (err) => {
    const problem = certificateProblem(err);
    if (!problem) return logger.warn('mqtt error', { error: err.message });
    if (!untrusted) {
      logger.error('broker certificate does not verify; not connecting', { broker: config.broker.url, against: config.broker.caFile ?? 'the system CAs', problem });
    }
    untrusted = true;
  });
  client.on('offline', () => { if (!untrusted) logger.warn('broker unreachable, retrying'); });
  return client;
}
