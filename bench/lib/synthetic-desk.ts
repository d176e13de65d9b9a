/**
 * A desk of synthetic boards (synthetic-board.ts) in one process: one mqtt.js connection per
 * board, as the board's own user with its reserved client id, a persistent session and its
 * last will, QoS 1 for everything (board/broker-connection.ts, board/agent.ts). Every payload
 * goes through the contract's `encode`: the real wire format. Counts what the broker
 * acknowledged, by kind, so a reader can check it got exactly that.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { decode, encode } from '../../broker/contract/messages.ts';
import { PAYLOAD_VERSION } from '../../broker/contract/payloads.ts';
import { boardClientId, boardTopic } from '../../broker/contract/topics.ts';
import { syntheticBoard, type SyntheticBoard } from './synthetic-board.ts';

export interface SyntheticDeskOptions {
  url: string;
  desk: string;
  boards: readonly string[];
  password: string;
  periodS: number;
  launchPerS: number;
  bootMs: number;
}

/** Acknowledged by the broker (PUBACK), by kind; `guestsBooted` counts entries of guests events. */
export interface PublishedCounts {
  status: number; telemetry: number; bootPhases: number; guestEvents: number; guestsBooted: number; replies: number;
  /** Sent, not yet acknowledged. */
  inFlight: number;
  failed: number;
  /**
   * Most messages sent in one second once every board is connected: the desk's peak offered
   * rate. (Acknowledgements bunch up after any stall of the broker, so they would overstate it.)
   */
  peakPerS: number;
}

export interface SyntheticDesk {
  counts(): PublishedCounts;
  /** Stops every board's timers and waits for what is in flight; the counts are then final. */
  quiesce(timeoutMs: number): Promise<PublishedCounts>;
  close(): Promise<void>;
}

/** Connections opened at once: the broker checks each password with scrypt on 4 threads. */
const CONNECTING_AT_ONCE = 32;

export async function startSyntheticDesk(o: SyntheticDeskOptions): Promise<SyntheticDesk> {
  const counts: PublishedCounts = { status: 0, telemetry: 0, bootPhases: 0, guestEvents: 0, guestsBooted: 0, replies: 0, inFlight: 0, failed: 0, peakPerS: 0 };
  let sent = 0, sentBefore = 0;
  const clients: MqttClient[] = [];
  const boards: SyntheticBoard[] = [];

  const connectOne = async (board: string) => {
    const topic = (channel: Parameters<typeof boardTopic>[2]) => boardTopic(o.desk, board, channel);
    const client = await mqtt.connectAsync(o.url, {
      clientId: boardClientId(o.desk, board), username: board, password: o.password, protocolVersion: 4, clean: false,
      keepalive: 10, reconnectPeriod: 1000, connectTimeout: 30_000,
      will: { topic: topic('status'), payload: Buffer.from(encode('status', { v: PAYLOAD_VERSION, state: 'offline', board, reason: 'lastwill' })), qos: 1, retain: true },
    });
    clients.push(client);
    const b = syntheticBoard({
      board, periodS: o.periodS, launchPerS: o.launchPerS, bootMs: o.bootMs, now: Date.now,
      publish: (channel, value, retain) => {
        counts.inFlight++;
        sent++;
        client.publish(topic(channel), encode(channel, value), { qos: 1, retain }, (err) => {
          counts.inFlight--;
          if (err) return void counts.failed++;
          if (channel === 'status') counts.status++;
          else if (channel === 'telemetry') counts.telemetry++;
          else if (channel === 'reply') counts.replies++;
          else if ('type' in value && value.type === 'guests') { counts.guestEvents++; counts.guestsBooted += value.booted.length; }
          else counts.bootPhases++;
        });
      },
    });
    boards.push(b);
    client.on('message', (_t, payload) => {
      const cmd = decode('cmd', payload);
      if (cmd.ok) b.command(cmd.value);
    });
    await client.subscribeAsync(topic('cmd'), { qos: 1 });
    b.online();
  };
  for (let i = 0; i < o.boards.length; i += CONNECTING_AT_ONCE) await Promise.all(o.boards.slice(i, i + CONNECTING_AT_ONCE).map(connectOne));
  // Metered once all are connected: the connection storm is not the desk's working rate.
  sentBefore = sent;
  const meter = setInterval(() => {
    counts.peakPerS = Math.max(counts.peakPerS, sent - sentBefore);
    sentBefore = sent;
  }, 1000);

  return {
    counts: () => ({ ...counts }),
    async quiesce(timeoutMs) {
      clearInterval(meter);
      boards.forEach((b) => b.stop());
      const deadline = Date.now() + timeoutMs;
      while (counts.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (counts.inFlight > 0) throw new Error(`${counts.inFlight} publishes still unacknowledged after ${timeoutMs} ms`);
      return { ...counts };
    },
    async close() {
      clearInterval(meter);
      boards.forEach((b) => b.stop());
      await Promise.all(clients.map((c) => c.endAsync()));
    },
  };
}
