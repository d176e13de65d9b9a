/**
 * The desk broker's SQLite store alone, doing per message what aedes asks of it in the broker
 * bench's fan-in (bench/broker.ts): a board's QoS 1 retained telemetry reaches the host's
 * persistent session on `deskbox/#`. Per message, as aedes calls them: storeRetained, the
 * subscription match and outgoingEnqueueCombi (awaited before the PUBACK and the delivery),
 * then on a later turn outgoingUpdate (the delivery's packet id), then outgoingClearMessageId
 * (the host's PUBACK), which the next message does not wait for. One message every PACE_MS, as at 490 boards x 1 msg/s, so nothing
 * batches by coincidence. Printed: this process's CPU time per message, sleeps included, so a
 * commit that runs later (in a timer) is counted too.
 *
 * Unlike the broker bench this does not depend on how busy the shared machine is: no sockets,
 * no second process, CPU time of this process only (load still slows it a little: caches).
 * `node --import tsx bench/run.ts broker-store`; BENCH_RUNS (3), BENCH_MESSAGES (3000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlitePersistence } from '../broker/persistence/sqlite.ts';
import { median, printRows, spread } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 3000);
const BOARDS = 490;
const PACE_MS = 2;
const host = { id: 'deskbox-bench-host' };
const payload = Buffer.alloc(330, 'x');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function run(dir: string): Promise<number> {
  const store = await openSqlitePersistence({ path: join(dir, 'store.db') });
  await store.setup({ id: 'bench-broker' });
  await store.addSubscriptions(host, [{ topic: 'deskbox/#', qos: 1 }]);
  const acks: Array<Promise<unknown>> = [];
  const start = process.cpuUsage();
  for (let n = 1; n <= MESSAGES; n++) {
    const packet = {
      cmd: 'publish', topic: `deskbox/bench/boards/b${n % BOARDS}/telemetry`, payload, qos: 1,
      retain: true, dup: false, brokerId: 'bench-broker', brokerCounter: n, messageId: undefined,
    };
    void store.storeRetained(packet);
    await store.outgoingEnqueueCombi(await store.subscriptionsByTopic(packet.topic), packet);
    await turn();
    const messageId = ((n - 1) % 65535) + 1;
    await store.outgoingUpdate(host, { ...packet, retain: false, messageId });
    await turn();
    // aedes waits on the PUBACK's delete only to read that client's next packets: the next
    // board's message does not wait for it.
    acks.push(store.outgoingClearMessageId(host, { cmd: 'puback', messageId }));
    await sleep(PACE_MS);
  }
  await Promise.all(acks);
  await store.destroy();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / MESSAGES;
}

const results: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'deskbox-bench-store-'));
  try {
    results.push(await run(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`  run ${i + 1}: ${results.at(-1)!.toFixed(0)} us of CPU a message  load ${loadavg()[0]!.toFixed(1)}\n`);
}
printRows(`broker store: ${MESSAGES} fan-in messages, one every ${PACE_MS} ms, ${RUNS} runs`, [
  { what: 'store CPU per message', median: median(results), unit: 'us', range: spread(results) },
]);
