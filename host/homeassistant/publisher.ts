/**
 * Keeps Home Assistant's discovery configs in step with the desk: the desk device's at start
 * (host/homeassistant/desk-device.ts); a board's (retained, QoS 1) the first time its status
 * is seen and again when its agent version changes, removed when its retained status is
 * cleared. `stop(true)` removes them all. Needs a client with the host role (broker/policy.ts).
 */
import type { MqttClient } from 'mqtt';
import type { Logger } from '../../platform/log.ts';
import { allBoardsFilter, parseBoardTopic } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import { DISCOVERY_ROOT } from '../../broker/contract/topics.ts';
import { discoveryMessages, removalMessages, type DiscoveryMessage } from './discovery.ts';
import { deskConfigTopics, deskDiscoveryMessages } from './desk-device.ts';

export interface HomeAssistantDiscoveryOptions {
  client: MqttClient;
  desk: string;
  prefix?: string;
  /** The desk's dashboard, as the devices' configuration URL. */
  configurationUrl?: string;
  logger: Logger;
}

export interface HomeAssistantDiscovery {
  /** Stops watching; with `remove`, also takes every published board out of Home Assistant. */
  stop(remove?: boolean): Promise<void>;
}

export function startHomeAssistantDiscovery({ client, desk, prefix = DISCOVERY_ROOT, configurationUrl, logger }: HomeAssistantDiscoveryOptions): HomeAssistantDiscovery {
  /** Board -> the agent version its published configs carry. */
  const published = new Map<string, string | undefined>();
  const inFlight = new Set<Promise<void>>();

  const send = (messages: DiscoveryMessage[]) => {
    const sent = Promise.all(messages.map((m) => client.publishAsync(m.topic, m.payload, { qos: 1, retain: true }))).then(
      () => undefined,
      (err: Error) => logger.warn('home assistant discovery not published', { topic: messages[0]?.topic, error: err.message }),
    );
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  };

  const onMessage = (topic: string, payload: Buffer) => {
    const t = parseBoardTopic(topic);
    if (t?.channel !== 'status' || t.desk !== desk) return;
    if (payload.length === 0) {
      // The board's retained status was cleared: it left the desk.
      if (published.delete(t.board)) send(removalMessages(desk, [t.board], prefix));
      return;
    }
    const status = decode('status', payload);
    if (!status.ok) return logger.debug('status ignored', { topic, reason: status.reason });
    const version = status.value.state === 'online' ? status.value.version : published.get(t.board);
    if (published.has(t.board) && published.get(t.board) === version) return;
    published.set(t.board, version);
    logger.debug('home assistant discovery published', { board: t.board, version: version ?? null });
    send(discoveryMessages(desk, [{ board: t.board, version }], prefix, configurationUrl));
  };

  // The desk device first: every board's device names it as its via_device.
  send(deskDiscoveryMessages(desk, { prefix, ...(configurationUrl !== undefined && { configurationUrl }) }));
  client.on('message', onMessage);
  client.subscribeAsync(allBoardsFilter(desk, 'status'), { qos: 1 }).catch((err: Error) =>
    logger.error('cannot watch board statuses for home assistant discovery', { error: err.message }));

  return {
    async stop(remove = false) {
      // The subscription stays: the client may be shared with others reading the same filter.
      client.off('message', onMessage);
      if (remove) send([...removalMessages(desk, [...published.keys()], prefix), ...deskConfigTopics(desk, prefix).map((topic) => ({ topic, payload: '' }))]);
      published.clear();
      await Promise.all(inFlight);
    },
  };
}
