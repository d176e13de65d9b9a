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

/** How often a long-running tool tries again after losing the broker (as a board's agent does). */
const RECONNECT_MS = 1000;

/**
 * The first connection must succeed (or the command fails at once). `reconnect`: for tools
 * that run until stopped (dashboard, metrics, monitor): after a drop, such as a desk broker
 * restarted after a crash, mqtt.js connects again and renews its subscriptions, whose retained
 * messages bring the views up to date; one-shot commands fail instead of waiting.
 */
export async function connectToDesk(access: DeskAccess, purpose: string, timeoutMs = 5000, opts: { reconnect?: boolean } = {}): Promise<MqttClient> {
  try {
    return await mqtt.connectAsync(access.url, {
      clientId: `deskbox-${purpose}-${randomBytes(4).toString('hex')}`,
      username: access.username,
      password: access.password,
      protocolVersion: 4,
      clean: true,
      connectTimeout: timeoutMs,
      reconnectPeriod: opts.reconnect ? RECONNECT_MS : 0,
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
