/**
 * End to end: `desk up` puts each simulated board in a namespace of its own on the desk LAN and
 * says so in its config and in `desk up --json`/`desk status --json`; `desk down`, whether the
 * supervisor stops or was killed, leaves no namespace with the desk's tag and no link in the
 * machine's own namespace. Needs root and `ip netns`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deskLayout } from '../../host/locations/layout.ts';
import { deskLanTag, removeDeskLan, type DeskLan } from '../../host/desk/desk-lan.ts';
import { isAlive } from '../../host/locations/desk-file.ts';
import type { DeskStatus } from '../../host/desk/status.ts';
import type { BoardConfigFile } from '../../board/config/board-config.ts';
import { deskbox } from '../support/deskbox.ts';
import { withDesk } from '../support/desk.ts';
import { waitFor } from '../support/wait.ts';
import { ip, netnsList, pings, rootLinks, whereNetns } from '../support/netns.ts';

/** Registered only where namespaces can be made (NOT RUN elsewhere). */
const netnsTest = (name: string, fn: () => unknown) => whereNetns(name, () => test(name, fn as () => Promise<void>));


/** Runs `body` on a fresh desk; its namespaces go afterwards whatever happened. */
const withLanDesk = (prefix: string, body: Parameters<typeof withDesk<void>>[1]): Promise<void> => withDesk(prefix, async (desk) => {
  try {
    await body(desk);
  } finally {
    await removeDeskLan(deskLayout(desk.state)).catch(() => undefined);
  }
});

netnsTest('desk up: each board on the desk LAN, in its config and in up/status; desk down leaves nothing', () => {
  const linksBefore = rootLinks();
  return withLanDesk('deskbox-e2e-lan-', async (desk) => {
    const tag = deskLanTag(deskLayout(desk.state));
    const up = await desk.up({ boards: 2 });
    assert.is(up.online, 2);
    const lan = up.lan as Extract<DeskLan, { up: true }>;
    assert.ok(lan?.up, `the desk LAN is up: ${JSON.stringify(up.lan)}`);
    assert.equal([lan.namespace, lan.bridge, lan.subnet], [`dbx-${tag}-lan`, 'br0', '198.18.0.0/16']);
    assert.equal(lan.boards.map((b) => [b.board, b.namespace, b.address]), [['b01', `dbx-${tag}-b01`, '198.18.0.1'], ['b02', `dbx-${tag}-b02`, '198.18.0.2']]);

    for (const b of lan.boards) {
      const config = JSON.parse(await readFile(join(desk.state, 'boards', b.board, 'board.json'), 'utf8')) as BoardConfigFile;
      assert.equal(config.net, { namespace: b.namespace, lanAddress: b.address, prefix: b.namespace, stateFile: join(desk.state, 'boards', b.board, 'hw', 'flash', 'net.json'), readyFile: deskLayout(desk.state).lanReadyFile });
    }
    // Built while the boards boot: the desk says so in the file the boards' net services wait for.
    const ready = deskLayout(desk.state).lanReadyFile;
    await waitFor(async () => JSON.parse(await readFile(ready, 'utf8').catch(() => '{}')).up === true, { timeoutMs: 30_000, what: 'the desk to say its LAN is up' });
    assert.equal(netnsList().filter((n) => n.startsWith(`dbx-${tag}-`)).sort(), [`dbx-${tag}-b01`, `dbx-${tag}-b02`, `dbx-${tag}-lan`]);
    assert.ok(pings(`dbx-${tag}-b01`, '198.18.0.2'), 'b01 reaches b02 across the desk LAN');
    const status = JSON.parse((await deskbox(['desk', 'status', '--state', desk.state, '--json'])).stdout) as DeskStatus;
    assert.equal(status.lan, up.lan);
    assert.match((await deskbox(['desk', 'status', '--state', desk.state])).stdout, new RegExp(`desk LAN +namespace dbx-${tag}-lan`));
    assert.equal(rootLinks(), linksBefore, 'nothing in the root namespace while up');

    // What a board makes inside its namespace goes with the desk too.
    ip('netns', 'add', `dbx-${tag}-b01-g1`);
    ip('-n', `dbx-${tag}-b01`, 'link', 'add', 'vx1', 'type', 'vxlan', 'id', '42', 'local', '198.18.0.1', 'dstport', '4789', 'dev', 'lan0');
    await desk.down();
    assert.equal(netnsList().filter((n) => n.includes(tag)), [], 'no namespace with the desk\'s tag');
    assert.equal(rootLinks(), linksBefore, 'no link left in the root namespace');
  });
});

netnsTest('a supervisor killed with SIGKILL: desk down still removes its desk LAN', () => {
  const linksBefore = rootLinks();
  return withLanDesk('deskbox-e2e-lan-crash-', async (desk) => {
    const tag = deskLanTag(deskLayout(desk.state));
    const up = await desk.up({ boards: 2 });
    process.kill(up.pid, 'SIGKILL');
    await waitFor(() => !isAlive(up.pid), { timeoutMs: 5000, what: 'the supervisor to die' });
    assert.is(netnsList().filter((n) => n.startsWith(`dbx-${tag}-`)).length, 3, 'its namespaces outlive it');
    await desk.down();
    assert.equal(netnsList().filter((n) => n.includes(tag)), []);
    assert.equal(rootLinks(), linksBefore);
  });
});

test.run();
