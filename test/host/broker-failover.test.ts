/**
 * Fail-over between a cluster's nodes, as clients see it: the host's connectToDesk skips a node
 * that is down and a long-running tool moves to another when its node goes; a board's agent
 * (board/broker-connection.ts) with `broker.urls` does the same. The nodes here are two
 * independent brokers (what matters is where the clients connect; test/broker/cluster.test.ts
 * shows nodes sharing sessions). One URL keeps the old behaviour: no `servers` at all.
 *   node --import tsx node_modules/uvu/bin.js test/host broker-failover
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import { createDeskBroker, type DeskBroker } from '../../broker/server.ts';
import { openBrokerConnection } from '../../board/broker-connection.ts';
import type { BoardConfig } from '../../board/config/board-config.ts';
import { connectToDesk, BrokerUnreachableError } from '../../host/client/connect.ts';
import type { DeskAccess } from '../../host/client/access.ts';
import { freePort } from '../../host/desk/redis-server.ts';
import { serversOption } from '../../platform/mqtt-servers.ts';
import { memoryLogger } from '../../platform/log.ts';
import { DESK, testUsers } from '../broker/support.ts';
import { waitFor } from '../support/wait.ts';

const brokers: DeskBroker[] = [];
const clients: MqttClient[] = [];

async function node(port = 0): Promise<{ broker: DeskBroker; url: string }> {
  const broker = await createDeskBroker({ users: await testUsers(), logger: memoryLogger('node'), port, wsPort: null, statsIntervalMs: 60_000 });
  brokers.push(broker);
  return { broker, url: `mqtt://127.0.0.1:${broker.tcpPort}` };
}

const access = (urls: string[]): DeskAccess => ({ desk: DESK, url: urls[0]!, ...(urls.length > 1 ? { urls } : {}), username: 'host', password: 'host-pw', boards: [] });

test.after.each(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

test('one URL: no servers option (single-broker configs unchanged)', () => {
  assert.equal(serversOption(['mqtts://a:8883']), {});
  assert.equal(serversOption(['mqtt://a:1', 'mqtts://b', 'mqtt://c:3'], 1).servers, [
    { host: 'b', port: 8883, protocol: 'mqtts' }, { host: 'c', port: 3, protocol: 'mqtt' }, { host: 'a', port: 1, protocol: 'mqtt' },
  ]);
});

test('connectToDesk skips a node that is down; all down is BrokerUnreachableError naming them', async () => {
  const dead = `mqtt://127.0.0.1:${await freePort()}`;
  const live = await node();
  const client = await connectToDesk(access([dead, live.url]), 'test', 2000);
  clients.push(client);
  assert.ok(client.connected);
  assert.equal(client.options.port, live.broker.tcpPort);
  const err = await connectToDesk(access([dead, dead]), 'test', 1000).catch((e: unknown) => e);
  assert.instance(err, BrokerUnreachableError);
});

test('a long-running tool and a board move to the other node when theirs goes', async () => {
  const [a, b] = [await node(), await node()];
  const tool = await connectToDesk(access([a.url, b.url]), 'test', 2000, { reconnect: true });
  clients.push(tool);
  const config = { desk: DESK, board: 'b01', keepaliveS: 2, broker: { url: a.url, urls: [a.url, b.url], username: 'b01', passwordFile: '-' } } as unknown as BoardConfig;
  let boardConnects = 0;
  const board = openBrokerConnection({ config, password: 'b01-pw', will: { topic: `deskbox/${DESK}/boards/b01/status`, payload: Buffer.from('{}') }, logger: memoryLogger('board'), onConnect: () => boardConnects++ });
  clients.push(board);
  await waitFor(() => board.connected && tool.connected, { timeoutMs: 3000, what: 'both connected to node A' });
  assert.equal([board.options.port, tool.options.port], [a.broker.tcpPort, a.broker.tcpPort]);
  const lostAt = Date.now();
  await a.broker.close();
  await waitFor(() => board.connected && tool.connected && boardConnects === 2, { timeoutMs: 3000, what: 'both on node B' });
  const movedMs = Date.now() - lostAt;
  assert.equal([board.options.port, tool.options.port], [b.broker.tcpPort, b.broker.tcpPort]);
  assert.ok(movedMs < 3000, `moved in ${movedMs} ms (1.5 x a 2 s keepalive)`);
});

test.run();
