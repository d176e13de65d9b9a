/**
 * "Back online after a recovery step": one MQTT connection hears every board's retained status;
 * a board counts as back once it reports online from a boot later than the step began, and
 * the image it booted comes with it (recovery.ts checks it against the known-good one).
 */
import type { MqttClient } from 'mqtt';
import { decode } from '../../broker/contract/messages.ts';
import type { OnlineStatus } from '../../broker/contract/payloads.ts';
import { allBoardsFilter, parseBoardTopic } from '../../broker/contract/topics.ts';
import type { BootedImage } from './recovery.ts';

export async function watchOnline(client: MqttClient, desk: string) {
  const latest = new Map<string, OnlineStatus>();
  const waiters = new Set<() => void>();
  const onMessage = (topic: string, payload: Buffer) => {
    const t = parseBoardTopic(topic);
    if (t?.channel !== 'status' || t.desk !== desk) return;
    const d = decode('status', payload);
    if (!d.ok) return;
    if (d.value.state === 'online') latest.set(t.board, d.value);
    else latest.delete(t.board);
    for (const w of [...waiters]) w();
  };
  client.on('message', onMessage);
  await client.subscribeAsync(allBoardsFilter(desk, 'status'), { qos: 1 });
  return {
    /** The booted image (undefined: not booted from a slot) once `board` is online from a boot after `since`. */
    until(board: string, since: number, timeoutMs: number): Promise<BootedImage | undefined> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const s = latest.get(board);
          if (!s || s.bootedAt < since) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(s.image ? { sha256: s.image.sha256, version: s.image.version } : undefined);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${board} not back online within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close(): void {
      client.off('message', onMessage);
    },
  };
}
