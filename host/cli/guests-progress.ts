/**
 * `guests start`'s progress while boards boot their guests: each board's `guests` events
 * (about one a second: docs/mqtt.md) say which guests booted or failed, so the count moves
 * before any board answers; a board's answer then replaces its count with the final one.
 * Only guests this command asked for count: at most `perBoard` per board.
 */
import type { MqttClient } from 'mqtt';
import { boardTopic } from '../../broker/contract/topics.ts';
import { decode } from '../../broker/contract/messages.ts';
import type { PhaseProgress } from '../experiment/runner.ts';

export interface StartTally {
  /** A `guests` event from `board`: how many guests it booted and how many failed. */
  event(board: string, booted: number, failed: number): void;
  /** `board` answered: `settled` guests ready or failed for good. */
  answered(board: string, settled: number): void;
  /** Guests settled (ready or failed) on all boards so far. */
  settled(): number;
  /** Boards that answered. */
  answers(): number;
}

export function startTally(boards: readonly string[], perBoard: number): StartTally {
  const seen = new Map<string, number>(boards.map((b) => [b, 0]));
  const final = new Map<string, number>();
  return {
    event(board, booted, failed) {
      if (!seen.has(board) || final.has(board)) return;
      seen.set(board, Math.min(perBoard, seen.get(board)! + booted + failed));
    },
    answered(board, settled) {
      if (seen.has(board)) final.set(board, Math.min(perBoard, settled));
    },
    settled: () => boards.reduce((n, b) => n + (final.get(b) ?? seen.get(b)!), 0),
    answers: () => final.size,
  };
}

/**
 * Follows the boards' `guests` events on `client` into `progress` until the returned function
 * is called; `answered` feeds it the boards' replies.
 */
export async function followGuestStarts(client: MqttClient, desk: string, boards: readonly string[], perBoard: number, progress: PhaseProgress<string>): Promise<{ answered(board: string, settled: number): void; stop(): Promise<void> }> {
  const tally = startTally(boards, perBoard);
  const topics = boards.map((b) => boardTopic(desk, b, 'events'));
  const mine = new Set(topics);
  const onMessage = (topic: string, payload: Buffer) => {
    if (!mine.has(topic)) return;
    const d = decode('events', payload);
    if (!d.ok || d.value.type !== 'guests') return;
    tally.event(d.value.board, d.value.booted.length, d.value.failed.length);
    progress.update(tally.settled());
  };
  progress.start('guests', perBoard * boards.length, 'guests');
  client.on('message', onMessage);
  await client.subscribeAsync(topics, { qos: 0 });
  return {
    answered(board, settled) {
      tally.answered(board, settled);
      progress.update(tally.settled());
    },
    async stop() {
      client.off('message', onMessage);
      progress.end();
      await client.unsubscribeAsync(topics).catch(() => undefined);
    },
  };
}
