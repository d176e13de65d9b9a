/**
 * The desk broker beside mosquitto (the Debian package), same run, same load generator:
 *
 *  - fan-in: 490 board clients (persistent sessions, their own client ids and users) each publish
 *    a ~330 B telemetry sample QoS 1 retained to deskbox/bench/boards/<id>/telemetry once a
 *    second, staggered; one host client (persistent session) subscribed QoS 1 to deskbox/#.
 *    Latency = publish call -> the host's delivery, p50/p99 over the measured window.
 *  - flat out: 8 of those boards publish the same way as fast as the broker acknowledges, each
 *    keeping WINDOW PUBLISHes unacknowledged; the host stays subscribed. Rate = PUBACKs/s.
 *  - broker RSS after each phase, and the broker's CPU time per message.
 *
 * deskbox runs as the desk runs it (createDeskBroker with the SQLite store, scrypt users and the
 * policy hooks; bench/lib/deskbox-broker.ts) minus TLS; mosquitto with a password file, an ACL
 * giving each board its own subtree and the host deskbox/#, persistence on, and
 * max_inflight_messages 0. Two more in the same runs: deskbox-memory (the deskbox broker on
 * aedes' in-memory store: mosquitto's own guarantee) and aedes (the library with its defaults
 * and nothing of ours: the floor any aedes broker starts from). Plain MQTT on loopback for all. The generator is mqtt.js in this
 * process (the clients the boards and the host use); its own CPU time is printed, so a run it
 * limits shows as such, and so is the 1-minute load average after each run: the machine is
 * shared, and figures from a loaded one compare only within the same run. Brokers alternate,
 * RUNS each (bench/lib/brokers-under-test.ts starts them).
 *
 * `node --import tsx bench/run.ts broker`; BENCH_RUNS (2), BENCH_SECONDS (10),
 * BENCH_BROKER_ONLY=deskbox|deskbox-memory|aedes|mosquitto, BENCH_BROKER_PROF=<dir> (deskbox under --cpu-prof),
 * BENCH_BROKER_PHASE=fanin (no flat-out phase: to profile the fan-in alone).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { boardClientId, boardTopic } from '../broker/contract/topics.ts';
import { type BenchSetup, type Broker, type Kind, KINDS, cpuMs, startDeskbox, startMosquitto, writeUsers } from './lib/brokers-under-test.ts';
import { procMemory } from './lib/proc-memory.ts';
import { median, printRows, spread } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BOARDS = 490;
const FLAT_CLIENTS = 8;
const WINDOW = 32;
const DESK = 'bench';
const ONLY = process.env.BENCH_BROKER_ONLY;
const PROF = process.env.BENCH_BROKER_PROF;
/** For profiling one load alone: `fanin` skips the flat-out phase (its figures then read 0). */
const FANIN_ONLY = process.env.BENCH_BROKER_PHASE === 'fanin';

interface Result { p50: number; p99: number; received: number; expected: number; rate: number; rssFanIn: number; rssFlat: number; cpuUsPerMsgFanIn: number; cpuUsPerMsgFlat: number; genCpu: number }

const boards = Array.from({ length: BOARDS }, (_, i) => `b${String(i + 1).padStart(3, '0')}`);
const password = (user: string) => `${user}-secret`;
const work = mkdtempSync(join(tmpdir(), 'deskbox-bench-broker-'));
const setup: BenchSetup = { work, desk: DESK, boards, password, prof: PROF };

function connect(port: number, user: string, clientId: string): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username: user, password: password(user), clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 30_000, keepalive: 60 });
  client.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
    client.once('close', () => reject(new Error(`${clientId} closed before CONNACK`)));
  });
}

async function connectAll<T>(items: readonly T[], at: number, fn: (item: T) => Promise<MqttClient>): Promise<MqttClient[]> {
  const out: MqttClient[] = [];
  for (let i = 0; i < items.length; i += at) out.push(...(await Promise.all(items.slice(i, i + at).map(fn))));
  return out;
}

/** A telemetry sample of the size the boards send, with the send time in it. */
function sample(board: string, seq: number): Buffer {
  return Buffer.from(JSON.stringify({
    v: 1, board, at: Date.now(), seq, uptimeS: seq, powerW: 1.234, volts: 5, amps: 0.2468, energyJ: seq * 1.234, cpu: 0.042, memBytes: 52_428_800,
    guests: { runtime: 'crun', running: 12, ready: 12, failed: 0, bootMs: { p50: 23.1, p95: 41, max: 55.2, count: 12 } },
    sent: performance.now(),
  }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN; };

async function measure(broker: Broker): Promise<Result> {
  const host = await connect(broker.port, 'host', 'deskbox-bench-host');
  await host.subscribeAsync('deskbox/#', { qos: 1 });
  let measuring = false;
  const latencies: number[] = [];
  let received = 0;
  host.on('message', (_topic, payload) => {
    received++;
    if (!measuring) return;
    latencies.push(performance.now() - (JSON.parse(payload.toString()) as { sent: number }).sent);
  });
  const clients = await connectAll(boards, 50, (b) => connect(broker.port, b, boardClientId(DESK, b)));

  // Fan-in: every board once a second, staggered across the second; 2 s to settle, then SECONDS measured.
  const topics = boards.map((b) => boardTopic(DESK, b, 'telemetry'));
  let expected = 0;
  let stop = false;
  const timers: NodeJS.Timeout[] = [];
  clients.forEach((c, i) => {
    let seq = 0;
    timers.push(setTimeout(() => {
      const tick = () => {
        if (stop) return;
        if (measuring) expected++;
        c.publish(topics[i]!, sample(boards[i]!, seq++), { qos: 1, retain: true });
      };
      tick();
      timers.push(setInterval(tick, 1000));
    }, (1000 * i) / BOARDS));
  });
  await sleep(2000);
  const cpu0 = cpuMs(broker.pid);
  const gen0 = process.cpuUsage();
  measuring = true;
  const rec0 = received;
  await sleep(SECONDS * 1000);
  measuring = false;
  const fanInMsgs = received - rec0;
  const cpuFanIn = cpuMs(broker.pid) - cpu0;
  const genFanIn = process.cpuUsage(gen0);
  stop = true;
  timers.forEach((t) => clearInterval(t));
  await sleep(1500); // the last ones in flight
  const rssFanIn = (await procMemory(broker.pid)).rssMB;
  const expectedFanIn = expected;
  await Promise.all(clients.slice(FLAT_CLIENTS).map((c) => c.endAsync()));

  // Flat out: 8 boards, WINDOW unacknowledged each, counted over SECONDS after 1 s to settle.
  let acked = 0;
  let flatOn = !FANIN_ONLY;
  const flat = clients.slice(0, FLAT_CLIENTS).map((c, i) => new Promise<void>((resolve) => {
    let seq = 0;
    let inFlight = 0;
    const pump = () => {
      while (flatOn && inFlight < WINDOW) {
        inFlight++;
        c.publish(topics[i]!, sample(boards[i]!, seq++), { qos: 1, retain: true }, (err) => {
          inFlight--;
          if (!err) acked++;
          if (flatOn) pump();
          else if (inFlight === 0) resolve();
        });
      }
    };
    pump();
  }));
  if (FANIN_ONLY) {
    await Promise.all([...clients.slice(0, FLAT_CLIENTS), host].map((c) => c.endAsync(true)));
    return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), received: latencies.length, expected: expectedFanIn, rate: 0, rssFanIn, rssFlat: 0, cpuUsPerMsgFanIn: (cpuFanIn * 1000) / Math.max(1, fanInMsgs), cpuUsPerMsgFlat: 0, genCpu: 0 };
  }
  await sleep(1000);
  const ack0 = acked;
  const cpu1 = cpuMs(broker.pid);
  const gen1 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const flatAcks = acked - ack0;
  const flatMs = performance.now() - t0;
  const cpuFlat = cpuMs(broker.pid) - cpu1;
  const genFlat = process.cpuUsage(gen1);
  const rssFlat = (await procMemory(broker.pid)).rssMB;
  flatOn = false;
  await Promise.race([Promise.all(flat), sleep(10_000)]);
  await Promise.all([...clients.slice(0, FLAT_CLIENTS), host].map((c) => c.endAsync(true)));
  const gen = (u: NodeJS.CpuUsage, ms: number) => (u.user + u.system) / 1000 / ms;
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    received: latencies.length,
    expected: expectedFanIn,
    rate: (flatAcks * 1000) / flatMs,
    rssFanIn,
    rssFlat,
    cpuUsPerMsgFanIn: (cpuFanIn * 1000) / Math.max(1, fanInMsgs),
    cpuUsPerMsgFlat: (cpuFlat * 1000) / Math.max(1, flatAcks),
    genCpu: Math.max(gen(genFanIn, SECONDS * 1000), gen(genFlat, flatMs)),
  };
}

try {
  const usersFile = await writeUsers(setup);
  const results: Record<Kind, Result[]> = { mosquitto: [], deskbox: [], 'deskbox-memory': [], aedes: [] };
  for (let run = 0; run < RUNS; run++) {
    const order: Kind[] = run % 2 ? [...KINDS].reverse() : [...KINDS];
    for (const kind of order) {
      if (ONLY && ONLY !== kind) continue;
      const broker = kind === 'mosquitto' ? await startMosquitto(setup, run) : await startDeskbox(setup, run, usersFile, kind);
      try {
        const r = await measure(broker);
        results[kind].push(r);
        process.stdout.write(`  run ${run + 1} ${kind.padEnd(14)} p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.received}/${r.expected} delivered)  flat out ${r.rate.toFixed(0)} msg/s  RSS ${r.rssFanIn.toFixed(0)}/${r.rssFlat.toFixed(0)} MB  broker CPU ${r.cpuUsPerMsgFanIn.toFixed(0)}/${r.cpuUsPerMsgFlat.toFixed(0)} us/msg  generator ${(100 * r.genCpu).toFixed(0)}% of a core  load ${loadavg()[0]!.toFixed(1)}\n`);
      } finally {
        await broker.stop();
      }
    }
  }
  const rows = (kind: Kind) => {
    const rs = results[kind];
    if (!rs.length) return [];
    const col = (f: (r: Result) => number) => rs.map(f);
    const m = (f: (r: Result) => number) => median(col(f));
    const vs = (f: (r: Result) => number, better: 'lower' | 'higher') => {
      const other = results.mosquitto;
      if (kind === 'mosquitto' || !other.length) return '';
      const ratio = m(f) / median(other.map(f));
      return `${ratio.toFixed(2)}x mosquitto (${better} is better)`;
    };
    return [
      { what: `${kind}: fan-in p50`, median: m((r) => r.p50), unit: 'ms', range: spread(col((r) => r.p50)), note: vs((r) => r.p50, 'lower') },
      { what: `${kind}: fan-in p99`, median: m((r) => r.p99), unit: 'ms', range: spread(col((r) => r.p99)), note: vs((r) => r.p99, 'lower') },
      { what: `${kind}: flat out, 8 clients`, median: m((r) => r.rate), unit: 'msg/s', range: spread(col((r) => r.rate)), note: vs((r) => r.rate, 'higher') },
      { what: `${kind}: RSS after fan-in`, median: m((r) => r.rssFanIn), unit: 'MB', range: spread(col((r) => r.rssFanIn)), note: vs((r) => r.rssFanIn, 'lower') },
      { what: `${kind}: RSS after flat out`, median: m((r) => r.rssFlat), unit: 'MB', range: spread(col((r) => r.rssFlat)), note: vs((r) => r.rssFlat, 'lower') },
      { what: `${kind}: CPU per message, fan-in`, median: m((r) => r.cpuUsPerMsgFanIn), unit: 'us', range: spread(col((r) => r.cpuUsPerMsgFanIn)) },
      { what: `${kind}: CPU per message, flat out`, median: m((r) => r.cpuUsPerMsgFlat), unit: 'us', range: spread(col((r) => r.cpuUsPerMsgFlat)) },
    ];
  };
  printRows(`broker: ${BOARDS} boards x 1 msg/s QoS 1 retained -> host on deskbox/# (${SECONDS} s), then ${FLAT_CLIENTS} boards flat out (window ${WINDOW}), ${RUNS} runs each, alternating`, KINDS.flatMap(rows));
  const d = results.deskbox, q = results.mosquitto;
  if (d.length && q.length) {
    const p99 = median(d.map((r) => r.p99)) / median(q.map((r) => r.p99));
    const rate = median(d.map((r) => r.rate)) / median(q.map((r) => r.rate));
    process.stdout.write(`\n  target p99 <= 1.2x mosquitto: ${p99.toFixed(2)}x ${p99 <= 1.2 ? 'met' : 'NOT met'}; flat out >= mosquitto: ${rate.toFixed(2)}x ${rate >= 1 ? 'met' : 'NOT met'}\n`);
  }
  const a = results.aedes;
  if (a.length && q.length) {
    const ratio = (f: (r: Result) => number) => (median(a.map(f)) / median(q.map(f))).toFixed(2);
    process.stdout.write(`  the floor aedes sets (bare aedes against mosquitto): p99 ${ratio((r) => r.p99)}x, flat out ${ratio((r) => r.rate)}x\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
