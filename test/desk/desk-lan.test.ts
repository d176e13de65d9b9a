/**
 * The simulated desk's LAN (host/desk/desk-lan.ts) on this machine's kernel: namespaces, a
 * bridge, veths and addresses made for three boards, boards reaching each other across the
 * bridge, and nothing left (not in `ip netns list`, not in the root namespace's links) once
 * it is removed. Needs root and `ip netns`; without them only the "no LAN, and why" path runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { deskLayout } from '../../host/locations/layout.ts';
import { boardNetConfig, buildDeskLan, deskLanTag, planDeskLan, deskNamespaces, removeDeskLan, type DeskLan } from '../../host/desk/desk-lan.ts';
import { tempDirs } from '../support/temp-dir.ts';
import { waitFor } from '../support/wait.ts';
import { isAlive } from '../../host/locations/desk-file.ts';
import { canNetns, ip, netnsList, pings, rootLinks, whereNetns } from '../support/netns.ts';

/** Registered only where namespaces can be made (NOT RUN elsewhere). */
const netnsTest = (name: string, fn: () => unknown) => whereNetns(name, () => test(name, fn as () => Promise<void>));

const temps = tempDirs();
const layouts: ReturnType<typeof deskLayout>[] = [];
/** Whatever a test made goes, however it ended. */
test.after.each(async () => {
  for (const l of layouts.splice(0)) await removeDeskLan(l).catch(() => undefined);
  await temps.removeAll();
});


async function newDesk() {
  const dir = await temps.make('deskbox-lan-');
  const layout = deskLayout(dir);
  layouts.push(layout);
  return layout;
}

/** What the supervisor does in two steps (plan, then build while the boards boot), at once. */
const createDeskLan = async (layout: ReturnType<typeof deskLayout>, boards: string[], only?: (b: string) => boolean) =>
  buildDeskLan(layout, await planDeskLan(layout, boards, only));

function up(lan: DeskLan): Extract<DeskLan, { up: true }> {
  if (!lan.up) throw new Error(`no desk LAN: ${lan.reason}`);
  return lan;
}

test('no ip command: the desk gets no LAN and says why, and nothing is made', async () => {
  const layout = await newDesk();
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    const lan = await createDeskLan(layout, ['b01', 'b02']);
    assert.is(lan.up, false);
    if (!lan.up) assert.match(lan.reason, canNetns ? /iproute2/ : /root|ip netns|iproute2/);
    assert.is(boardNetConfig(layout, lan, 'b01'), undefined);
  } finally {
    process.env.PATH = path;
  }
  if (canNetns) assert.equal(await deskNamespaces(layout), []);
});

netnsTest('three boards on a desk LAN reach each other; removed, nothing of it is left', async () => {
  const linksBefore = rootLinks();
  const layout = await newDesk();
  const tag = deskLanTag(layout);
  assert.match(tag, /^[0-9a-f]{6}$/);
  const lan = up(await createDeskLan(layout, ['b01', 'b02', 'b03']));
  assert.is(lan.namespace, `dbx-${tag}-lan`);
  assert.is(lan.subnet, '198.18.0.0/16');
  assert.equal(lan.boards.map((b) => [b.board, b.namespace, b.address]), [
    ['b01', `dbx-${tag}-b01`, '198.18.0.1'], ['b02', `dbx-${tag}-b02`, '198.18.0.2'], ['b03', `dbx-${tag}-b03`, '198.18.0.3'],
  ]);
  assert.equal(netnsList().filter((n) => n.startsWith(`dbx-${tag}-`)).sort(), [`dbx-${tag}-b01`, `dbx-${tag}-b02`, `dbx-${tag}-b03`, `dbx-${tag}-lan`]);
  assert.match(ip('-n', `dbx-${tag}-b02`, '-o', 'addr', 'show', 'lan0'), /inet 198\.18\.0\.2\/16/);
  assert.match(ip('-n', `dbx-${tag}-b02`, 'link', 'show', 'lo'), /UP/);
  assert.match(ip('-n', lan.namespace, '-o', 'link', 'show', 'master', 'br0'), /p-b01[\s\S]*p-b02[\s\S]*p-b03/);
  assert.equal(rootLinks(), linksBefore, 'nothing in the root namespace');

  for (const [from, to] of [['b01', '198.18.0.2'], ['b02', '198.18.0.3'], ['b03', '198.18.0.1']] as const) {
    assert.ok(pings(`dbx-${tag}-${from}`, to), `${from} pings ${to} across the bridge`);
  }
  assert.equal(ip('-n', `dbx-${tag}-b01`, 'route', 'show').trim().split('\n'), ['198.18.0.0/16 dev lan0 proto kernel scope link src 198.18.0.1'], 'no route beyond the desk LAN');
  assert.not.ok(pings(`dbx-${tag}-b01`, '8.8.8.8'));

  assert.equal(boardNetConfig(layout, lan, 'b03'), { namespace: `dbx-${tag}-b03`, lanAddress: '198.18.0.3', prefix: `dbx-${tag}-b03`, stateFile: `${layout.root}/boards/b03/hw/flash/net.json`, readyFile: layout.lanReadyFile });

  // What a board makes inside (a guest namespace, a veth into it) goes with the desk.
  ip('netns', 'add', `dbx-${tag}-b01-g1`);
  ip('-n', `dbx-${tag}-b01`, 'link', 'add', 'g1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', `dbx-${tag}-b01-g1`);
  const removed = await removeDeskLan(layout);
  assert.is(removed.length, 5);
  assert.equal(netnsList().filter((n) => n.includes(tag)), [], 'no namespace with the tag');
  assert.equal(rootLinks(), linksBefore, 'no link left in the root namespace');
});

netnsTest('planned, the LAN names every board before anything is made; built, it is what was planned', async () => {
  const layout = await newDesk();
  const tag = deskLanTag(layout);
  const plan = up(await planDeskLan(layout, ['b01', 'q01', 'b02'], (b) => !b.startsWith('q')));
  assert.equal(plan.boards.map((b) => [b.board, b.address]), [['b01', '198.18.0.1'], ['b02', '198.18.0.3']]);
  assert.equal(await deskNamespaces(layout), [], 'a plan makes nothing');
  assert.equal(boardNetConfig(layout, plan, 'b02')?.readyFile, layout.lanReadyFile, 'boards are told where to wait for it');
  const built = up(await buildDeskLan(layout, plan));
  assert.equal(built, plan);
  assert.match(ip('-n', `dbx-${tag}-b02`, '-o', 'addr', 'show', 'lan0'), /inet 198\.18\.0\.3\/16/);
});

netnsTest('a desk brought up again replaces what a crashed one left; a neighbour desk is untouched', async () => {
  const layout = await newDesk();
  const neighbour = await newDesk();
  const tag = deskLanTag(layout);
  assert.is.not(tag, deskLanTag(neighbour), 'state folders give different tags');
  up(await createDeskLan(neighbour, ['b01', 'b02']));
  up(await createDeskLan(layout, ['b01', 'b02', 'b03']));
  // A crash: the desk's namespaces stay, with a board's guest namespace holding a process.
  ip('netns', 'add', `dbx-${tag}-b02-r1`);
  const sleeper = execFileSync('sh', ['-c', `ip netns exec dbx-${tag}-b02-r1 sleep 300 >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' }).trim();
  // Brought up again, with one board fewer and QEMU boards left out: their addresses keep their places.
  const lan = up(await createDeskLan(layout, ['b01', 'b02', 'q01'], (b) => !b.startsWith('q')));
  assert.equal(lan.boards.map((b) => [b.board, b.address]), [['b01', '198.18.0.1'], ['b02', '198.18.0.2']]);
  assert.equal((await deskNamespaces(layout)).sort(), [`dbx-${tag}-b01`, `dbx-${tag}-b02`, `dbx-${tag}-lan`]);
  await waitFor(() => !isAlive(Number(sleeper)), { timeoutMs: 3000, what: 'the process in the dead desk\'s namespace to be killed' });
  assert.ok(pings(`dbx-${tag}-b02`, '198.18.0.1'));
  await removeDeskLan(layout);
  assert.equal(await deskNamespaces(layout), []);
  assert.is((await deskNamespaces(neighbour)).length, 3, 'the other desk keeps its LAN');
  const other = deskLanTag(neighbour);
  assert.ok(pings(`dbx-${other}-b01`, '198.18.0.2'), 'and it still works');
});

test.run();
