/**
 * Password guessing against a real desk broker (127.0.0.1, free port) with real mqtt.js clients:
 * 16 guessers hammer it for 10 s from 127.0.0.2 (Linux routes all of 127/8 to loopback): 8
 * guess the host user's password, 4 a board's, 4 invent user names. Meanwhile the monitor logs in
 * from 127.0.0.3 and a board that was connected before the attack reconnects from the guessers'
 * own address. Prints the figures RELIABILITY.md quotes.
 *   node --import tsx node_modules/uvu/bin.js test "broker/login-throttle"
 */
import { createConnection } from 'node:net';
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MqttClient } from 'mqtt';
import { memoryLogger } from '../../platform/log.ts';
import { boardClientId } from '../../broker/contract/topics.ts';
import { createDeskBroker } from '../../broker/server.ts';
import { DESK, testUsers } from './support.ts';

const GUESSERS = 16;
const ATTACK_MS = 10_000;
const MAX_ANSWERED_PER_S = 5;
const LOGIN_WITHIN_MS = 100;
const GUESSER_ADDRESS = '127.0.0.2';
const OTHER_ADDRESS = '127.0.0.3';

interface Outcome {
  /** CONNACK return code: 0 accepted, 3 throttled, 4 bad user name or password; -1 no CONNACK. */
  code: number;
  ms: number;
}

/** One MQTT 3.1.1 login from `localAddress`; resolves with its CONNACK's code, and closes. */
function login(port: number, localAddress: string, username: string, password: string, clientId?: string): Promise<Outcome> {
  const t0 = performance.now();
  const client = new MqttClient(() => createConnection({ host: '127.0.0.1', port, localAddress }), {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    username,
    password,
    clientId: clientId ?? `guess-${randomBytes(4).toString('hex')}`,
  });
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const done = (code: number) => {
      // Ending the client closes it: only the first outcome counts.
      if (settled) return;
      settled = true;
      const ms = performance.now() - t0;
      client.end(true, () => resolve({ code, ms }));
    };
    client.once('connect', () => done(0));
    client.once('error', (err: Error & { code?: number }) => done(typeof err.code === 'number' ? err.code : -1));
    client.once('close', () => done(-1));
  });
}

test('16 parallel guessers get a few answers a second; another user, and a known board, log in at once', async () => {
  const logger = memoryLogger('broker');
  const desk = await createDeskBroker({ users: await testUsers(), logger, wsPort: null });
  const port = desk.tcpPort!;
  try {
    // A board connected before the attack: its password is known to the broker.
    const before = await login(port, GUESSER_ADDRESS, 'b01', 'b01-pw', boardClientId(DESK, 'b01'));
    assert.is(before.code, 0);

    const counts = new Map<number, number>();
    const started = performance.now();
    const end = started + ATTACK_MS;
    const guesser = async (g: number) => {
      for (let i = 0; performance.now() < end; i++) {
        // An invented name costs a full-price derivation (users.ts: no user enumeration by
        // timing), 16 times a test user's: a few of those are enough to show the address key.
        const name = g % 2 === 0 ? 'host' : g % 4 === 1 ? 'b02' : `ghost-${g}-${i}`;
        const { code } = await login(port, GUESSER_ADDRESS, name, `secret-${g}-${i}`);
        counts.set(code, (counts.get(code) ?? 0) + 1);
      }
    };
    const attack = Promise.all(Array.from({ length: GUESSERS }, (_, g) => guesser(g)));

    const monitor: Outcome[] = [];
    const board: Outcome[] = [];
    // Not in the first second: the first wave (the guesses already under way when the first
    // failure lands, one per guesser) is answered, and its derivations fill libuv's threads for
    // a while (seconds, on a machine loaded with other tests).
    for (const at of [2_000, 5_000, 8_000]) {
      await new Promise((r) => setTimeout(r, Math.max(0, started + at - performance.now())));
      monitor.push(await login(port, OTHER_ADDRESS, 'monitor', 'monitor-pw'));
      board.push(await login(port, GUESSER_ADDRESS, 'b01', 'b01-pw', boardClientId(DESK, 'b01')));
    }
    await attack;

    const answered = counts.get(4) ?? 0;
    const attempts = [...counts.values()].reduce((a, b) => a + b, 0);
    const perS = answered / (ATTACK_MS / 1000);
    console.log(`  ${GUESSERS} guessers, ${ATTACK_MS / 1000} s: ${attempts} attempts, ${answered} answered (${perS.toFixed(1)}/s), ${counts.get(3) ?? 0} throttled; ` +
      `monitor from another address in ${monitor.map((o) => o.ms.toFixed(0)).join('/')} ms, known board from the guessers' address in ${board.map((o) => o.ms.toFixed(0)).join('/')} ms`);

    assert.equal([...counts.keys()].filter((c) => c !== 3 && c !== 4), [], 'every guess is refused: bad password (4) or throttled (3)');
    assert.ok(perS <= MAX_ANSWERED_PER_S, `${perS} answered guesses a second`);
    assert.ok(attempts > answered * 2, 'the guessers kept trying: most were throttled');
    for (const o of monitor) {
      assert.is(o.code, 0, 'the monitor logs in');
      assert.ok(o.ms < LOGIN_WITHIN_MS, `the monitor logged in after ${o.ms.toFixed(1)} ms`);
    }
    for (const o of board) {
      assert.is(o.code, 0, 'the known board gets back in through the throttled address');
      assert.ok(o.ms < LOGIN_WITHIN_MS, `the board logged in after ${o.ms.toFixed(1)} ms`);
    }
    assert.not.match(JSON.stringify(logger.records), 'secret-', 'guessed passwords never reach the log');
  } finally {
    await desk.close();
  }
});

test.run();
