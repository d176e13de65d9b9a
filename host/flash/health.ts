/**
 * "Back online with the new image": after a flash the board resets, its boot ROM tries the
 * new slot and the agent there comes online; its retained status names the image it booted.
 * One MQTT connection watches every board of a flash run.
 */
import type { MqttClient } from 'mqtt';
import { allBoardsFilter } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { OnlineStatus } from '../../broker/contract/payloads.ts';
import type { DeskAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';

export async function watchBoardHealth(access: DeskAccess) {
  const client: MqttClient = await connectToDesk(access, 'flash-health');
  const latest = new Map<string, OnlineStatus | undefined>();
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload) => {
    const d = decode('status', payload);
    if (!d.ok) return;
    latest.set(topic.split('/')[3]!, d.value.state === 'online' ? d.value : undefined);
    for (const w of waiters) w();
  });
  await client.subscribeAsync(allBoardsFilter(access.desk, 'status'), { qos: 1 });
  return {
    /**
     * Resolves once `board` reports online, booted after `since` (a new boot, not the status it
     * had before the flash), running `image` (same payload, same version).
     */
    until(board: string, image: { sha256: string; version: string }, since: number, timeoutMs: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const s = latest.get(board);
          if (!s || s.bootedAt < since || s.image?.sha256 !== image.sha256 || s.image.version !== image.version) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const s = latest.get(board);
          reject(new Error(`${board} did not come back online with the new image within ${timeoutMs / 1000} s (${s ? `it runs ${s.image?.version ?? 'an unknown image'} from slot ${s.image?.slot ?? '?'}` : 'it is offline'}); a board that does not confirm a new slot falls back to the old one by itself`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    /** The image `board` last said it runs while online, as this watcher heard it. */
    image: (board: string) => latest.get(board)?.image,
    close: () => client.endAsync(),
  };
}
