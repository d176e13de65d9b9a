/**
 * The command QEMU runs for each of a board's broker connections (host/qemu/machine.ts), run
 * here by sh as QEMU would run it, against real listeners on loopback: a cluster's board lands
 * on the first node that takes connections, and its bytes reach that node intact.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { brokerForward, qemuBoardDevices } from '../../host/qemu/machine.ts';

interface Node { port: number; got: Promise<string>; server: Server }

/** A stand-in broker node: it keeps the first connection's bytes that has any (the probe has none). */
function node(): Promise<Node> {
  return new Promise((resolve) => {
    let received!: (s: string) => void;
    const got = new Promise<string>((r) => (received = r));
    const server = createServer((socket) => {
      let data = '';
      socket.on('data', (d) => (data += d)).on('end', () => {
        if (data) received(data);
        socket.end();
      });
    });
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, got, server }));
  });
}

/** A port nothing listens on: taken, then let go. */
async function deadPort(): Promise<number> {
  const n = await node();
  await new Promise((r) => n.server.close(r));
  return n.port;
}

/** Runs the forward with `bytes` as the board's side of the connection; resolves with its exit code. */
function board(command: string, bytes: string): Promise<number | null> {
  const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.end(bytes);
  return new Promise((resolve) => child.on('exit', resolve));
}

test('one broker: a plain socat relay, as before', async () => {
  assert.is(brokerForward([8883]), 'socat -lf /dev/null STDIO TCP:127.0.0.1:8883');
  assert.match(qemuBoardDevices('/d/disk.img', [8883]).join(' '), /guestfwd=tcp:10\.0\.2\.100:1883-cmd:socat -lf \/dev\/null STDIO TCP:127\.0\.0\.1:8883/);
  assert.throws(() => qemuBoardDevices('/d/disk.img', []), /broker port missing/);
  assert.not.match(brokerForward([1, 2]), /,/, 'no comma: QEMU would end the -netdev option there');
});

test('a cluster: node 0 dead, the board reaches node 1; node 0 alive, node 0', async () => {
  const [dead, n0, n1] = [await deadPort(), await node(), await node()];
  try {
    assert.is(await board(brokerForward([dead, n1.port]), 'CONNECT to node 1'), 0);
    assert.is(await n1.got, 'CONNECT to node 1');
    assert.is(await board(brokerForward([n0.port, dead]), 'CONNECT to node 0'), 0);
    assert.is(await n0.got, 'CONNECT to node 0');
  } finally {
    for (const n of [n0, n1]) n.server.close();
  }
});

test.run();
