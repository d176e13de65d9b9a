/**
 * What each board of a desk says itself, as a watcher with the monitor role hears it while
 * others publish anything on the boards' topics: its samples are the valid ones stamped after
 * its previous sample and not in the future (a fuzz corpus copies, cuts or moves stamps, but
 * cannot make a later present-day sample), and its status is the one held before any fuzz.
 */
import type { MqttClient } from 'mqtt';
import { decode } from '../../broker/contract/messages.ts';
import type { OnlineStatus, Status, Telemetry } from '../../broker/contract/payloads.ts';
import { parseBoardTopic } from '../../broker/contract/topics.ts';

export interface OwnMessages {
  /** The latest status each board published before `freeze()`. */
  status: Map<string, Status>;
  samples: Map<string, Telemetry[]>;
  /** From now on statuses are no longer taken as the boards' own. */
  freeze(): void;
  /** A board's own samples stamped after `since`. */
  samplesSince(board: string, since: number): Telemetry[];
  online(board: string): OnlineStatus | undefined;
}

export function watchOwnMessages(client: MqttClient, desk: string): OwnMessages {
  const status = new Map<string, Status>();
  const samples = new Map<string, Telemetry[]>();
  let frozen = false;
  client.on('message', (topic, payload) => {
    const t = parseBoardTopic(topic);
    if (!t || t.desk !== desk || (t.channel !== 'status' && t.channel !== 'telemetry')) return;
    if (t.channel === 'status') {
      const d = decode('status', payload);
      if (!frozen && d.ok && d.value.board === t.board) status.set(t.board, d.value);
      return;
    }
    const d = decode('telemetry', payload);
    if (!d.ok || d.value.board !== t.board) return;
    const s = d.value;
    const list = samples.get(t.board) ?? [];
    const previous = list.at(-1);
    const plausible = s.at <= Date.now() + 5000 && Number.isSafeInteger(s.seq) && s.seq < 1e6 && s.powerW < 100;
    if (plausible && (!previous || s.at > previous.at)) samples.set(t.board, [...list.slice(-50), s]);
  });
  return {
    status,
    samples,
    freeze: () => { frozen = true; },
    samplesSince: (board, since) => (samples.get(board) ?? []).filter((s) => s.at > since),
    online(board) {
      const s = status.get(board);
      return s?.state === 'online' ? s : undefined;
    },
  };
}
