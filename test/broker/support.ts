/**
 * Shared by the broker tests: a user store with cheap hashes and mqtt.js clients that are all
 * closed at the end (waiting on conditions: test/support/wait.ts).
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Principal } from '../../broker/policy.ts';
import { boardClientId } from '../../broker/contract/topics.ts';
import { UserStore, newUser } from '../../broker/users.ts';
import type { ScryptParams } from '../../broker/passwords.ts';

/** The cheapest parameters users.ts accepts: tests check behaviour, not cost. */
export const CHEAP_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1, keylen: 32 };

export const DESK = 'd1';
const PASSWORDS = { host: 'host-pw', monitor: 'monitor-pw', homeassistant: 'ha-pw', b01: 'b01-pw', b02: 'b02-pw' } as const;
export type TestUser = keyof typeof PASSWORDS;

export async function testUsers(): Promise<UserStore> {
  const principals: Principal[] = [
    { role: 'host', username: 'host' },
    { role: 'monitor', username: 'monitor' },
    { role: 'homeassistant', username: 'homeassistant' },
    { role: 'board', username: 'b01', desk: DESK, board: 'b01' },
    { role: 'board', username: 'b02', desk: DESK, board: 'b02' },
  ];
  return new UserStore(
    await Promise.all(principals.map((p) => newUser(p, PASSWORDS[p.username as TestUser], CHEAP_SCRYPT))),
  );
}

/** mqtt.js clients opened by a test, ended together however the test finished. */
export class Clients {
  readonly #open: MqttClient[] = [];

  /** Resolves once CONNACK accepted the client, rejects with mqtt.js' error (code = return code). */
  connect(url: string, user: TestUser | undefined, options: IClientOptions = {}): Promise<MqttClient> {
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...(user && { username: user, password: PASSWORDS[user] }),
      // Board users must connect with their own reserved client id.
      ...(user?.startsWith('b') && { clientId: boardClientId(DESK, user) }),
      ...options,
    });
    this.#open.push(client);
    // Errors after CONNACK show up as closed connections, which the tests assert on.
    client.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve(client));
      client.once('error', reject);
      client.once('close', () => reject(new Error('closed before CONNACK')));
    });
  }

  async endAll(): Promise<void> {
    await Promise.all(this.#open.splice(0).map((c) => c.endAsync(true)));
  }
}

/** Records every message a client receives, with the retain flag it arrived with. */
export function collect(client: MqttClient): { topic: string; payload: string; retain: boolean }[] {
  const got: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}
