/**
 * The exchange Tasmota and Shelly share: publish a command on the desk broker, then wait for the
 * device's own status message saying the relay is where we asked. A command is only done when
 * the device says so; silence within the timeout is a PowerError 'no-answer'.
 */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../platform/clock.ts';
import { PowerError, withDeadline } from './outlet.ts';

type Switched = 'on' | 'off';

export interface MqttDeviceOptions {
  client: MqttClient;
  outlet: string;
  clock: Clock;
  timeoutMs: number;
  /** Everything the device may answer on. */
  filters: string[];
  /**
   * The filters only this outlet reads, dropped on close. The others (Tasmota's RESULT) are
   * shared by every relay of one device on the same client, and MQTT does not count
   * subscriptions, so they stay until the client ends.
   */
  own: string[];
  /** The relay state a message reports, or undefined when it says nothing about this outlet. */
  parse(topic: string, payload: string): Switched | undefined;
  /** Appended to a no-answer error: what to check on the device. */
  hint: string;
}

export interface MqttDevice {
  /** Publishes and resolves with the first reported state that is `want` (any, without it). */
  send(topic: string, payload: string, want?: Switched): Promise<Switched>;
  close(): Promise<void>;
}

export function mqttDevice(o: MqttDeviceOptions): MqttDevice {
  const waiters = new Set<{ want?: Switched; resolve(s: Switched): void }>();
  const onMessage = (topic: string, payload: Buffer) => {
    const state = o.parse(topic, payload.toString());
    if (!state) return;
    for (const w of [...waiters]) {
      if (w.want && w.want !== state) continue;
      waiters.delete(w);
      w.resolve(state);
    }
  };
  o.client.on('message', onMessage);
  let subscribed: Promise<void> | undefined;
  let closed = false;

  const subscribe = () => (subscribed ??= o.client.subscribeAsync(o.filters, { qos: 1 }).then((granted) => {
    const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
    if (refused.length) {
      subscribed = undefined;
      throw new PowerError('refused', o.outlet, `the broker refused the subscription to ${refused.join(', ')} (does this client connect with a host-role user?)`);
    }
  }));

  return {
    async send(topic, payload, want) {
      if (closed) throw new PowerError('failed', o.outlet, 'outlet is closed');
      let waiter: { want?: Switched; resolve(s: Switched): void } | undefined;
      const answer = new Promise<Switched>((resolve) => { waiter = { want, resolve }; waiters.add(waiter); });
      const what = `${topic} ${JSON.stringify(payload)}${want ? ` (waiting for ${want})` : ''}; ${o.hint}`;
      try {
        return await withDeadline(o.clock, o.timeoutMs, o.outlet, what, (async () => {
          await subscribe();
          await o.client.publishAsync(topic, payload, { qos: 1 });
          return answer;
        })());
      } finally {
        waiters.delete(waiter!);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      o.client.off('message', onMessage);
      if (subscribed && o.client.connected) await subscribed.then(() => o.client.unsubscribeAsync(o.own), () => undefined);
    },
  };
}
