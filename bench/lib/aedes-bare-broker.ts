/**
 * The floor aedes itself sets, for bench/broker.ts: aedes with its defaults (in-memory store,
 * no users, no policy hooks, no acknowledge-after-store) on plain MQTT on loopback. What the
 * deskbox broker costs beyond this is ours; what this costs beyond mosquitto is aedes'.
 * `node --import tsx bench/lib/aedes-bare-broker.ts`: prints `{"port":N}` once listening,
 * stops on SIGTERM or when stdin ends.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
await new Promise<void>((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
  process.stdin.once('end', resolve);
  process.stdin.resume();
});
await new Promise<void>((resolve) => broker.close(() => resolve()));
server.close();
process.stdin.destroy();
