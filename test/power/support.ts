/**
 * Stand-ins for the power devices, each speaking its real protocol: Tasmota and Shelly as MQTT
 * clients with an `outlet` user on a real in-process desk broker (listening on port 0), which
 * the drivers reach through a `host` user, as on a desk.
 */
import type { MqttClient } from 'mqtt';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { UserStore, newUser } from '../../broker/users.ts';
import { memoryLogger } from '../../platform/log.ts';
import { CHEAP_SCRYPT, Clients } from '../broker/support.ts';
import type { Switched } from './outlet.contract.ts';

export interface MqttDesk {
  broker: DeskBroker;
  host: MqttClient;
  /** A relay's own connection (role outlet). */
  relay: MqttClient;
  close(): Promise<void>;
}

export async function mqttDesk(): Promise<MqttDesk> {
  const users = new UserStore([
    await newUser({ role: 'host', username: 'host' }, 'host-pw', CHEAP_SCRYPT),
    await newUser({ role: 'outlet', username: 'relay-rack1' }, 'relay-pw', CHEAP_SCRYPT),
  ]);
  const broker = await createDeskBroker({ users, logger: memoryLogger('broker'), wsPort: null });
  const clients = new Clients();
  const url = `mqtt://127.0.0.1:${broker.tcpPort}`;
  try {
    const host = await clients.connect(url, undefined, { username: 'host', password: 'host-pw' });
    const relay = await clients.connect(url, undefined, { username: 'relay-rack1', password: 'relay-pw' });
    return { broker, host, relay, close: async () => { await clients.endAll(); await broker.close(); } };
  } catch (e) {
    await clients.endAll();
    await broker.close();
    throw e;
  }
}

/**
 * Tasmota as it answers on MQTT: `cmnd/<topic>/POWER<n>` with ON/OFF switches relay n, an empty
 * payload asks; each answer is `stat/<topic>/RESULT` {"POWER<n>":"ON"} and `stat/<topic>/POWER<n>`.
 * A single-relay device calls its relay POWER in what it sends (as real Tasmota does).
 */
export async function tasmotaStandIn(client: MqttClient, topic: string, relays: number): Promise<{ switches: Switched[][] }> {
  const relayState: Switched[] = Array.from({ length: relays }, () => 'off');
  const switches: Switched[][] = relayState.map(() => []);
  client.on('message', (t, payload) => {
    const m = new RegExp(`^cmnd/${topic}/POWER(\\d*)$`).exec(t);
    if (!m) return;
    const n = Number(m[1] || 1);
    if (n < 1 || n > relays) return;
    const word = payload.toString().trim().toUpperCase();
    if (word === 'ON' || word === 'OFF') {
      relayState[n - 1] = word === 'ON' ? 'on' : 'off';
      switches[n - 1]!.push(relayState[n - 1]!);
    }
    const key = relays === 1 ? 'POWER' : `POWER${n}`;
    const text = relayState[n - 1]!.toUpperCase();
    void client.publishAsync(`stat/${topic}/RESULT`, JSON.stringify({ [key]: text }));
    void client.publishAsync(`stat/${topic}/${key}`, text);
  });
  await client.subscribeAsync(`cmnd/${topic}/+`, { qos: 1 });
  return { switches };
}

/**
 * A Shelly Gen2 switch with MQTT control and generic status updates on: `<prefix>/command/switch:<id>`
 * takes on/off/status_update, and it publishes `<prefix>/status/switch:<id>`.
 */
export async function shellyStandIn(client: MqttClient, prefix: string, id: number): Promise<{ switches: Switched[] }> {
  let output = false;
  const switches: Switched[] = [];
  client.on('message', (t, payload) => {
    if (t !== `${prefix}/command/switch:${id}`) return;
    const word = payload.toString();
    if (word === 'on' || word === 'off') {
      output = word === 'on';
      switches.push(word);
    } else if (word !== 'status_update') return;
    const status = { id, source: 'MQTT', output, apower: 0, voltage: 230.1, temperature: { tC: 41.2, tF: 106.2 } };
    void client.publishAsync(`${prefix}/status/switch:${id}`, JSON.stringify(status));
  });
  await client.subscribeAsync(`${prefix}/command/#`, { qos: 1 });
  return { switches };
}
