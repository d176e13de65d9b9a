/**
 * The floor a desk's broker sets under `desk up`: every board's login, and nothing else. The
 * desk's own broker program (`deskbox desk broker`, fresh, so no password check is remembered)
 * on the desk's users file and certificate, and one bare mqtt.js client per board with that
 * board's credentials and client id, over mqtts verified by the desk CA, with the agent's
 * connect settings (10 s CONNACK timeout, retry every second). Timed until every one is in.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import mqtt, { type MqttClient } from 'mqtt';
import { boardClientId } from '../../broker/contract/topics.ts';
import { deskLayout } from '../../host/locations/layout.ts';

export interface FloorResult {
  ms: number;
  /** CONNACK timeouts and refusals on the way: each one a board's retry. */
  retries: number;
}

export async function measureBrokerFloor(cli: string, state: string, desk: string, boards: string[]): Promise<FloorResult> {
  const layout = deskLayout(state);
  const broker = spawn(process.execPath, [cli, 'desk', 'broker', '--state', state, '--port', '0', '--ws-port', '0', '--tls-port', '0', '--wss-port', '0'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => broker.once('exit', () => resolve()));
  const clients: MqttClient[] = [];
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: broker.stdout! }).once('line', resolve);
      void exited.then(() => reject(new Error('the broker exited before it listened')));
    });
    const report = JSON.parse(first) as { listening?: { tlsPort: number } };
    if (!report.listening) throw new Error(`the broker did not start: ${first}`);
    const ca = await readFile(layout.tls.caCert);
    const passwords = await Promise.all(boards.map(async (b) => (await readFile(layout.board(b).passwordFile, 'utf8')).trim()));
    let retries = 0;
    const t0 = performance.now();
    await Promise.all(boards.map((b, i) => new Promise<void>((resolve) => {
      const client = mqtt.connect(`mqtts://127.0.0.1:${report.listening!.tlsPort}`, {
        clientId: boardClientId(desk, b), username: b, password: passwords[i], ca,
        protocolVersion: 4, clean: false, reconnectPeriod: 1000, connectTimeout: 10_000,
      });
      clients.push(client);
      client.once('connect', () => resolve());
      client.on('error', () => retries++);
    })));
    return { ms: performance.now() - t0, retries };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    broker.kill('SIGTERM');
    await exited;
  }
}
