/** One MQTT connection from the host to a desk's broker, as the role the command needs. */
import mqtt, { type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import type { DeskAccess } from './access.ts';

export class BrokerUnreachableError extends Error {
  constructor(url: string, reason: string) {
    super(`cannot reach the desk broker at ${url}: ${reason}`);
    this.name = 'BrokerUnreachableError';
  }
}

export async function connectToDesk(access: DeskAccess, purpose: string, timeoutMs = 5000): Promise<MqttClient> {
  try {
    return await mqtt.connectAsync(access.url, {
      clientId: `deskbox-${purpose}-${randomBytes(4).toString('hex')}`,
      username: access.username,
      password: access.password,
      protocolVersion: 4,
      clean: true,
      connectTimeout: timeoutMs,
      reconnectPeriod: 0,
    });
  } catch (err) {
    throw new BrokerUnreachableError(access.url, (err as Error).message);
  }
}

/**
 * Waits for retained messages after a subscription: done when `until` holds, or when no
 * message came for `quietMs`, and never later than `deadlineMs`.
 */
export function settle(client: MqttClient, opts: { quietMs: number; deadlineMs: number; until?: () => boolean }): Promise<void> {
  return new Promise((resolve) => {
    let quiet: NodeJS.Timeout;
    const done = () => {
      clearTimeout(quiet);
      clearTimeout(deadline);
      client.off('message', onMessage);
      resolve();
    };
    const arm = () => {
      clearTimeout(quiet);
      quiet = setTimeout(done, opts.quietMs);
    };
    const onMessage = () => (opts.until?.() ? done() : arm());
    const deadline = setTimeout(done, opts.deadlineMs);
    client.on('message', onMessage);
    if (opts.until?.()) done();
    else arm();
  });
}
