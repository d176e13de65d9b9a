/**
 * The experiment's view of the desk over MQTT: every board message goes into the store as it
 * arrives (with its receive time), and board statuses are tracked so the runner knows which
 * boards are online at the start, which went offline, and which came back ready from a reboot.
 */
import type { MqttClient } from 'mqtt';
import { boardPrefix, parseBoardTopic } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { OnlineStatus } from '../../broker/contract/payloads.ts';

export interface Ingest {
  ingest(topic: string, payload: Buffer, receivedAt: number): void;
}

export async function watchDesk(client: MqttClient, desk: string, store: Ingest, onStoreError: (e: Error) => void) {
  const online = new Map<string, OnlineStatus>();
  const known = new Set<string>();
  const changed = new Set<() => void>();
  const offline = new Set<(board: string) => void>();
  client.on('message', (topic, payload) => {
    try {
      store.ingest(topic, payload, Date.now());
    } catch (e) {
      // A failed commit loses that batch (counted by the store), not the run.
      onStoreError(e as Error);
    }
    const t = parseBoardTopic(topic);
    if (t?.desk !== desk || t.channel !== 'status') return;
    const d = decode('status', payload);
    if (!d.ok) return;
    known.add(t.board);
    if (d.value.state === 'online') online.set(t.board, d.value);
    else if (online.delete(t.board)) offline.forEach((l) => l(t.board));
    changed.forEach((w) => w());
  });
  // One wildcard level per board and one per channel: status, telemetry, events, replies.
  await client.subscribeAsync(`${boardPrefix(desk, '+')}/+`, { qos: 1 });

  /** Resolves when `until` holds or at `timeoutMs` or on `signal`, re-checked at every status. */
  const waitUntil = (until: () => boolean, timeoutMs: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
    const check = () => { if (until()) done(); };
    const timer = setTimeout(() => done(), timeoutMs);
    const done = () => { clearTimeout(timer); changed.delete(check); signal?.removeEventListener('abort', done); resolve(); };
    signal?.addEventListener('abort', done);
    changed.add(check);
    check();
  });

  return {
    /** Splits `boards` by their retained status, waiting at most `timeoutMs` for every status to arrive. */
    async census(boards: string[], timeoutMs = 5000): Promise<{ online: string[]; offline: string[] }> {
      await waitUntil(() => boards.every((b) => known.has(b)), timeoutMs);
      return { online: boards.filter((b) => online.has(b)), offline: boards.filter((b) => !online.has(b)) };
    },
    /** Waits for every board online after a boot at or after `since`, with its `ready` phase reported; resolves with those that were not. */
    async waitReady(boards: string[], since: number, signal: AbortSignal, timeoutMs: number): Promise<string[]> {
      const isReady = (b: string) => {
        const s = online.get(b);
        return s !== undefined && s.bootedAt >= since && s.phases.some((p) => p.phase === 'ready');
      };
      await waitUntil(() => boards.every(isReady), timeoutMs, signal);
      return boards.filter((b) => !isReady(b));
    },
    onOffline(listener: (board: string) => void): () => void {
      offline.add(listener);
      return () => offline.delete(listener);
    },
    status: (board: string) => online.get(board),
  };
}
