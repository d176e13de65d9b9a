/** One MQTT connection from the host to a desk's broker, as the role the command needs. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { certificateProblem } from '../../platform/tls-errors.ts';
import { serversOption } from '../../platform/mqtt-servers.ts';
import type { DeskAccess } from './access.ts';

export class BrokerUnreachableError extends Error {
  constructor(url: string, reason: string) {
    super(`cannot reach the desk broker at ${url}: ${reason}`);
    this.name = 'BrokerUnreachableError';
  }
}

/** The broker's certificate does not verify: the wrong CA, or none given for a desk's own. */
export class BrokerCertificateError extends Error {
  constructor(url: string, caFile: string | undefined, problem: string) {
    const against = caFile ? `the CA in ${caFile}` : 'the system\'s CAs (a desk\'s own CA is its tls/ca.pem: pass it with --ca <file>)';
    super(`the desk broker at ${url} presented a certificate that does not verify against ${against}: ${problem}`);
    this.name = 'BrokerCertificateError';
  }
}

/** How often a long-running tool tries again after losing the broker (as a board's agent does). */
const RECONNECT_MS = 1000;

export interface ConnectOptions {
  reconnect?: boolean;
  /** A persistent session under this client id: what arrives while the client is away waits for it. */
  session?: string;
  /** With `session`: start it afresh, discarding what the broker kept under that id. */
  clean?: boolean;
  /** Published by the broker if this client vanishes without saying goodbye. */
  will?: IClientOptions['will'];
}

/**
 * The first connection must succeed (or the command fails at once). `reconnect`: for tools
 * that run until stopped (dashboard, metrics, monitor, an experiment): after a drop, such as a
 * desk broker restarted after a crash, mqtt.js connects again and renews its subscriptions,
 * whose retained messages bring the views up to date; one-shot commands fail instead of waiting.
 */
export async function connectToDesk(access: DeskAccess, purpose: string, timeoutMs = 5000, opts: ConnectOptions = {}): Promise<MqttClient> {
  // Read once: mqtt.js keeps it for its reconnects.
  const ca = access.caFile ? await readFile(access.caFile) : undefined;
  // A cluster: the first connection tries each node in turn (a node that is down is skipped),
  // and a long-running tool's reconnects go round them from the one it reached (mqtt.js' servers).
  const urls = access.urls ?? [access.url];
  let unreachable: BrokerUnreachableError | undefined;
  for (let i = 0; i < urls.length; i++) {
    const url = urls[i]!;
    try {
      return await mqtt.connectAsync(url, {
        ...(ca ? { ca } : {}),
        ...serversOption(urls, i),
        clientId: opts.session ?? `deskbox-${purpose}-${randomBytes(4).toString('hex')}`,
        username: access.username,
        password: access.password,
        protocolVersion: 4,
        clean: opts.session === undefined || opts.clean === true,
        ...(opts.will ? { will: opts.will } : {}),
        connectTimeout: timeoutMs,
        reconnectPeriod: opts.reconnect ? RECONNECT_MS : 0,
      });
    } catch (err) {
      const problem = certificateProblem(err);
      if (problem) throw new BrokerCertificateError(url, access.caFile, problem);
      unreachable = new BrokerUnreachableError(urls.length > 1 ? urls.join(', ') : url, (err as Error).message);
    }
  }
  throw unreachable!;
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

/**
 * Reads what the broker retains under `filters`: `onMessage` hears every message from the
 * subscription until it settles (as `settle` decides), then the subscription is dropped.
 */
export async function readRetained(client: MqttClient, filters: string | string[], onMessage: (topic: string, payload: Buffer) => void,
  opts: { quietMs: number; deadlineMs: number; until?: () => boolean }): Promise<void> {
  client.on('message', onMessage);
  try {
    await client.subscribeAsync(filters, { qos: 1 });
    await settle(client, opts);
    await client.unsubscribeAsync(filters);
  } finally {
    client.off('message', onMessage);
  }
}

/**
 * Ends a client, and with it the persistent session it was given (`session`): connecting
 * once more under its id with a clean session makes the broker forget it, so a finished tool
 * leaves no subscriptions and no queue behind. Does not wait on a broker that is gone.
 */
export async function endSession(client: MqttClient, access: DeskAccess, purpose: string): Promise<void> {
  const { clientId, clean } = client.options;
  const wasConnected = client.connected;
  await client.endAsync(!wasConnected);
  if (clean !== false || !wasConnected || clientId === undefined) return;
  const forget = await connectToDesk(access, purpose, 2000, { session: clientId, clean: true }).catch(() => undefined);
  await forget?.endAsync();
}
