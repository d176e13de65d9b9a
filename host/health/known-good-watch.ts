/**
 * Feeds the known-good store (known-good.ts) from what boards say: the image each booted (its
 * status) and its self-check reports. A passing report from a board the desk judges healthy
 * makes the image it booted its known-good one, copied from where that board keeps it.
 * `attach` wires it to an MQTT client; the handlers themselves take decoded messages, so tests
 * drive them without a broker.
 */
import type { MqttClient } from 'mqtt';
import type { HealthReport } from '../../broker/contract/health.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { Status } from '../../broker/contract/payloads.ts';
import { allBoardsFilter, parseBoardTopic } from '../../broker/contract/topics.ts';
import type { Logger } from '../../platform/log.ts';
import { worthRemembering, type KnownGoodStore } from './known-good.ts';
import type { HealthState } from './policy.ts';

type Booted = NonNullable<Extract<Status, { state: 'online' }>['image']>;

export interface KnownGoodWatchDeps {
  store: Pick<KnownGoodStore, 'recorded' | 'remember'>;
  /** The desk's verdict on the board now (the health service's). */
  stateOf(board: string): HealthState;
  /** Where the board keeps the image in `slot` (a simulated board's slot file). */
  sourceOf(board: string, slot: Booted['slot']): string;
  logger: Logger;
}

export function createKnownGoodWatch(deps: KnownGoodWatchDeps) {
  const booted = new Map<string, Booted>();
  // One copy at a time per board: reports come every few seconds, a copy may take longer.
  const copying = new Map<string, Promise<void>>();

  const status = (s: Status): void => {
    if (s.state === 'online' && s.image) booted.set(s.board, s.image);
    else booted.delete(s.board);
  };

  /** Resolves once a copy it started is kept (or failed, which is logged). */
  const report = (r: HealthReport): Promise<void> => {
    const board = r.board;
    const image = booted.get(board);
    if (!image || copying.has(board) || !worthRemembering({ reportOk: r.ok, state: deps.stateOf(board), booted: image, recorded: deps.store.recorded(board) })) return Promise.resolve();
    const done = deps.store.remember(board, image, deps.sourceOf(board, image.slot))
      .then(() => deps.logger.info('known-good image', { board, version: image.version, sha256: image.sha256 }))
      .catch((e: Error) => deps.logger.warn('known-good image not kept', { board, error: e.message }))
      .finally(() => copying.delete(board));
    copying.set(board, done);
    return done;
  };

  return {
    status,
    report,
    /** Hears the desk's boards on `client` until the returned function is called. */
    async attach(client: MqttClient, desk: string): Promise<() => void> {
      const onMessage = (topic: string, payload: Buffer) => {
        const t = parseBoardTopic(topic);
        if (!t || t.desk !== desk || payload.length === 0) return;
        if (t.channel === 'status') {
          const d = decode('status', payload);
          if (d.ok && d.value.board === t.board) status(d.value);
        } else if (t.channel === 'health') {
          const d = decode('health', payload);
          if (d.ok && d.value.board === t.board) void report(d.value);
        }
      };
      client.on('message', onMessage);
      await client.subscribeAsync([allBoardsFilter(desk, 'status'), allBoardsFilter(desk, 'health')], { qos: 1 });
      return () => client.off('message', onMessage);
    },
  };
}
