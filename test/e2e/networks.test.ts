/**
 * Guest networks on a simulated desk of two boards, each in its own namespace on the desk LAN:
 * lan1 spans both boards (VXLAN), lan2 is elsewhere; lan1 cannot reach lan2 until a router joins
 * them; applying the changed topology changes only the difference; `net down` and `desk down`
 * leave no namespace, bridge or link behind.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withDesk } from '../support/desk.ts';
import { deskbox, runDeskbox } from '../support/deskbox.ts';
import { ip, netnsList, rootLinks, whereNetns } from '../support/netns.ts';
import { waitFor } from '../support/wait.ts';

const TOPOLOGY = `
v: 1
name: e2e
networks:
  lan1: { subnet: 10.1.0.0/24, link: { rate: 10mbit } }
  lan2: { subnet: 10.2.0.0/24 }
attach:
  - { network: lan1, boards: b01-b02, count: 2 }
  - { network: lan2, guests: [b01-g0002, b02-g0002] }
`;
const ROUTED = `${TOPOLOGY}routers:\n  r1: { board: b01, interfaces: { lan1: 10.1.0.1, lan2: 10.2.0.1 } }\n`;

interface Listing { networks: Array<{ name: string; subnet: string; vni: number; members: Array<{ board: string; guest: string; address: string }> }> }


whereNetns('guest networks on a two-board desk', () => test('two boards, two networks: lan1 across boards, lan2 apart until a router joins them; nothing left after net down and desk down', async () => {
  const linksBefore = rootLinks();
  let tag = '';
  await withDesk('deskbox-e2e-net-', async (desk) => {
    const up = await desk.up({ boards: 2, args: ['--guest-runtime', 'crun'] });
    const at = ['--state', desk.state];
    tag = JSON.stringify(up).match(/"namespace":"([^"]+)-b01"/)?.[1] ?? '';
    assert.ok(tag, `desk up reports the boards' namespaces: ${JSON.stringify(up)}`);
    const topo = join(desk.state, 'e2e.topology.yaml');
    await writeFile(topo, TOPOLOGY);

    const applied = JSON.parse((await deskbox(['net', 'apply', topo, '--json', ...at])).stdout) as { ok: boolean; boards: Array<{ board: string; ok: boolean; result: { changes: number } }> };
    assert.ok(applied.ok, JSON.stringify(applied));
    await deskbox(['guests', 'start', '--boards', 'b01,b02', '--count', '3', '--profile', 'full', ...at], 120_000);

    const list = JSON.parse((await deskbox(['net', 'ls', '--json', ...at])).stdout) as Listing;
    const lan1 = list.networks.find((n) => n.name === 'lan1')!;
    const lan2 = list.networks.find((n) => n.name === 'lan2')!;
    assert.equal(lan1.members.map((m) => m.guest).sort(), ['b01-g0000', 'b01-g0001', 'b02-g0000', 'b02-g0001']);
    assert.equal(lan2.members.map((m) => m.guest).sort(), ['b01-g0002', 'b02-g0002']);
    const addresses = [...lan1.members, ...lan2.members].map((m) => m.address);
    assert.is(new Set(addresses).size, addresses.length, 'no two guests share an address');

    const probe = JSON.parse((await deskbox(['net', 'probe', '--json', ...at], 120_000)).stdout) as { ok: boolean; networks: Array<{ network: string; pairs: number; reachable: number }> };
    assert.ok(probe.ok, JSON.stringify(probe));
    assert.ok(probe.networks.every((n) => n.pairs > 0 && n.reachable === n.pairs), JSON.stringify(probe.networks));

    // From a lan1 guest on b01: its lan1 peer on b02 answers, lan2 does not.
    const b02lan1 = lan1.members.find((m) => m.guest === 'b02-g0000')!.address;
    const b02lan2 = lan2.members.find((m) => m.guest === 'b02-g0002')!.address;
    const pingFrom = async (to: string) => {
      const r = JSON.parse((await runDeskbox(['exec', 'b01', '--guests', '--json', ...at, '--', 'sh', '-c', `ping -c1 -W1 ${to} >/dev/null && echo reach || echo none`], { timeoutMs: 60_000 })).stdout) as { groups: Array<{ targets: string[]; stdout: string }> };
      return r.groups.find((g) => g.targets.includes('b01-g0000'))!.stdout.trim();
    };
    assert.is(await pingFrom(b02lan1), 'reach', 'lan1 spans the boards');
    assert.is(await pingFrom(b02lan2), 'none', 'lan2 is not reachable from lan1 without a router');

    await writeFile(topo, ROUTED);
    const routed = JSON.parse((await deskbox(['net', 'apply', topo, '--json', ...at])).stdout) as typeof applied;
    assert.ok(routed.ok, JSON.stringify(routed));
    const again = JSON.parse((await deskbox(['net', 'apply', topo, '--json', ...at])).stdout) as typeof applied;
    assert.equal(again.boards.map((b) => b.result.changes), [0, 0], 'applying the same file again changes nothing');
    assert.is(await pingFrom(b02lan2), 'reach', 'through the router');

    // b02 switched off loses its guests and whatever its kernel held; back on, it sets its part up again.
    await deskbox(['desk', 'power', 'b02', 'cycle', ...at]);
    await waitFor(async () => (JSON.parse((await deskbox(['boards', '--json', ...at])).stdout).boards as Array<{ state: string }>).every((b) => b.state === 'online'), { timeoutMs: 60_000, what: 'b02 back online' });
    await waitFor(() => /dvx/.test(ip('-n', `${tag}-b02`, 'link', 'show')), { timeoutMs: 20_000, what: 'b02 carrying its VXLAN again' });
    await deskbox(['guests', 'start', '--boards', 'b02', '--count', '1', '--profile', 'full', ...at], 120_000);
    assert.is(await pingFrom(b02lan1), 'reach', 'b02-g0000 on lan1 again at its own address');

    await deskbox(['net', 'down', ...at]);
    const after = JSON.parse((await deskbox(['net', 'ls', '--json', ...at])).stdout) as Listing;
    assert.equal(after.networks, []);
    const left = netnsList().filter((n) => n.startsWith(tag) && !/-(b0[12]|lan)$/.test(n));
    assert.equal(left, [], 'net down removed every guest and router namespace');
  });
  assert.equal(netnsList().filter((n) => n.startsWith(tag)), [], 'desk down removed every namespace of the desk');
  assert.equal(rootLinks(), linksBefore, 'no link left in the machine\'s own namespace');
}));

test.run();
