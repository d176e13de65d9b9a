/**
 * What the start-up benchmarks share: a desk broker with board users, the mqtt.js-only
 * baseline bundled like the agent, and a subscriber that timestamps retained `online`s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import mqtt, { type MqttClient } from 'mqtt';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { newUser, UserStore } from '../../broker/users.ts';
import { openSqlitePersistence } from '../../broker/persistence/sqlite.ts';
import { createLogger } from '../../platform/log.ts';

export const BENCH_DESK = 'bench';
export const BENCH_PASSWORD = 'bench-password';

export interface BenchDesk {
  work: string;
  url: string;
  broker: DeskBroker;
  watcher: MqttClient;
  /** The mqtt.js-only baseline script, bundled (esbuild, ESM, minified) like the agent. */
  baseline: string;
  /** Resolves with performance.now() when a retained `online` arrives on `topic`. */
  onlineSeen(topic: string): Promise<number>;
  close(): Promise<void>;
}

export async function startBenchDesk(boards: string[]): Promise<BenchDesk> {
  const work = await mkdtemp(join(tmpdir(), 'deskbox-bench-'));
  const users = new UserStore(await Promise.all([
    newUser({ role: 'host', username: 'host' }, BENCH_PASSWORD),
    ...boards.map((b) => newUser({ role: 'board', username: b, desk: BENCH_DESK, board: b }, BENCH_PASSWORD)),
  ]));
  const persistence = await openSqlitePersistence({ path: join(work, 'store.db') });
  const broker = await createDeskBroker({ users, persistence, logger: createLogger('bench', () => undefined), wsPort: null });
  const url = `mqtt://127.0.0.1:${broker.tcpPort}`;
  const baseline = join(work, 'mqtt-online.mjs');
  await build({
    entryPoints: [new URL('../fixtures/mqtt-online.ts', import.meta.url).pathname],
    outfile: baseline, bundle: true, platform: 'node', target: 'node20', format: 'esm', minify: true,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
  const watcher = await mqtt.connectAsync(url, { username: 'host', password: BENCH_PASSWORD, protocolVersion: 4 });
  await watcher.subscribeAsync(`deskbox/${BENCH_DESK}/boards/+/status`, { qos: 1 });
  return {
    work, url, broker, watcher, baseline,
    onlineSeen: (topic) => new Promise((resolve) => {
      const on = (t: string, p: Buffer) => {
        if (t !== topic || !p.toString().includes('"online"')) return;
        watcher.off('message', on);
        resolve(performance.now());
      };
      watcher.on('message', on);
    }),
    async close() {
      await watcher.endAsync();
      await broker.close();
      await persistence.destroy();
      await rm(work, { recursive: true, force: true });
    },
  };
}
