/**
 * The experiment's view of the desk over MQTT: every board message goes into the store as it
 * arrives (with its receive time), and board statuses are tracked so the runner can wait for
 * boards that came back from a reboot and are ready.
 */
import type { MqttClient } from 'mqtt';
import { boardPrefix } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { OnlineStatus } from '../../broker/contract/payloads.ts';

export interface Ingest {
  ingest(topic: string, payload: Buffer, receivedAt: number): void;
}

export async function watchDesk(client: MqttClient, desk: string, store: Ingest, onStoreError: (e: Error) => void) {
  const online = new Map<string, OnlineStatus>();
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload) => {
    try {
      store.ingest(topic, payload, Date.now());
    } catch (e) {
      // A failed commit loses that batch (counted by the store), not the run.
      onStoreError(e as Error);
    }
    if (!topic.endsWith('/status')) return;
    const d = decode('status', payload);
    if (!d.ok) return;
    const board = topic.split('/')[3]!;
    if (d.value.state === 'online') online.set(board, d.value);
    else online.delete(board);
    for (const w of waiters) w();
  });
  // One wildcard level per board and one per channel: status, telemetry, events, replies.
  await client.subscribeAsync(`${boardPrefix(desk, '+')}/+`, { qos: 1 });
  return {
    /** Every board online after a boot at or after `since`, with its `ready` phase reported. */
    waitReady(boards: string[], since: number, signal: AbortSignal, timeoutMs = 180_000): Promise<void> {
      const isReady = (b: string) => {
        const s = online.get(b);
        return s !== undefined && s.bootedAt >= since && s.phases.some((p) => p.phase === 'ready');
      };
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!boards.every(isReady)) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`boards not ready after ${timeoutMs / 1000} s: ${boards.filter((b) => !isReady(b)).join(', ')}`));
        }, timeoutMs);
        const onAbort = () => { done(); resolve(); };
        const done = () => { clearTimeout(timer); waiters.delete(check); signal.removeEventListener('abort', onAbort); };
        signal.addEventListener('abort', onAbort);
        waiters.add(check);
        check();
      });
    },
    status: (board: string) => online.get(board),
  };
}
