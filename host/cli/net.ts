/** `deskbox net apply|ls|down|probe`: guest networks across the desk's boards (docs/networks.md). */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { resolveAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { createRequester, type Requester } from '../client/request.ts';
import { readDeskBoards } from '../client/desk-boards.ts';
import { loadTopology } from '../net/topology.ts';
import { applyTopology, listing, readNetStates, takeDown, type BoardAnswer } from '../net/desk-net.ts';
import { probeNetworks } from '../net/probe.ts';
import type { DeskBoards } from '../net/carriers.ts';
import { accessOptions, integer as int, type AccessOptions } from './options.ts';
import { action, printJson } from './run.ts';

async function withDesk<T>(o: AccessOptions, body: (request: Requester, desk: DeskBoards) => Promise<T>): Promise<T> {
  const access = await resolveAccess(o, 'host');
  const client = await connectToDesk(access, 'net');
  try {
    const known = await readDeskBoards(access, client);
    const tags = (b: string) => access.tags?.[b] ?? known.tags.get(b) ?? [];
    return await body(createRequester(client, access.desk, { allBoards: true }), { boards: known.boards, tagsOf: tags });
  } finally {
    await client.endAsync();
  }
}

function failures<T>(answers: BoardAnswer<T>[]): string[] {
  return answers.flatMap((a) => (a.ok ? [] : [`${a.board}: ${a.error}`]));
}

export function registerNet(program: Command): void {
  const net = program.command('net').description('guest networks: virtual LANs and routers across the boards, from a topology file');

  accessOptions(net.command('apply'))
    .description('set up a topology on the boards; applying a changed file changes only the difference')
    .argument('<topology.yaml>', 'the topology (see plans/two-lans.topology.yaml)')
    .option('--json', 'print JSON')
    .action(action(async (file: string, o) => {
      const loaded = await loadTopology(file);
      const started = Date.now();
      const answers = await withDesk(o, (request, desk) => applyTopology(request, desk, loaded));
      const bad = failures(answers);
      if (o.json) printJson({ ok: bad.length === 0, topology: loaded.topology.name, elapsedMs: Date.now() - started, boards: answers });
      else {
        const table = new Table({ head: ['board', 'result', 'changes', 'took ms', 'networks', 'members'], style: { head: [], border: [] } });
        for (const a of answers) table.push(a.ok ? [a.board, 'ok', a.result.changes, a.result.elapsedMs, a.result.state.networks.map((n) => n.name).join(',') || '-', a.result.state.members.length] : [a.board, { colSpan: 5, content: `error: ${a.error}` }]);
        process.stdout.write(`${table.toString()}\ntopology ${loaded.topology.name} applied in ${((Date.now() - started) / 1000).toFixed(1)} s${bad.length ? `; ${bad.length} board(s) failed` : ''}\n`);
      }
      if (bad.length > 0) process.exitCode = 1;
    }));

  accessOptions(net.command('ls'))
    .description('list the networks and their members (board, guest, address)')
    .option('--json', 'print {"networks":[{"name","subnet","vni","members":[{"board","guest","address"}]}], "routers": [...]}')
    .action(action(async (o) => {
      const states = await withDesk(o, (request, desk) => readNetStates(request, desk.boards));
      const list = listing(states);
      if (o.json) return printJson(list);
      const table = new Table({ head: ['network', 'subnet', 'vni', 'boards', 'members', 'first members'], style: { head: [], border: [] } });
      for (const n of list.networks) table.push([n.name, n.subnet, n.vni, new Set(n.members.map((m) => m.board)).size, n.members.length, n.members.slice(0, 3).map((m) => `${m.guest} ${m.address}`).join('\n') || '-']);
      process.stdout.write(`${table.toString()}\n`);
      for (const r of list.routers) process.stdout.write(`router ${r.name} on ${r.board}: ${r.interfaces.map((i) => `${i.network} ${i.address}`).join(', ')}\n`);
    }));

  accessOptions(net.command('down'))
    .description('remove every guest network, router and VXLAN device from the boards')
    .option('--json', 'print JSON')
    .action(action(async (o) => {
      const answers = await withDesk(o, (request, desk) => takeDown(request, desk.boards));
      const bad = failures(answers);
      if (o.json) printJson({ ok: bad.length === 0, boards: answers });
      else process.stdout.write(`${answers.filter((a) => a.ok).length} board(s) cleared${bad.length ? `; failed: ${bad.join('; ')}` : ''}\n`);
      if (bad.length > 0) process.exitCode = 1;
    }));

  accessOptions(net.command('probe'))
    .description('every member guest pings its peers; reachability and RTT percentiles per network')
    .option('--count <n>', 'pings per peer', int('--count', 1), 1)
    .option('--timeout <ms>', 'wait for each answer', int('--timeout', 100), 1000)
    .option('--peers <n>', 'peers each guest pings at most (far boards first)', int('--peers', 1), 8)
    .option('--json', 'print JSON')
    .action(action(async (o) => {
      const result = await withDesk(o, async (request, desk) => probeNetworks(request, listing(await readNetStates(request, desk.boards)), { count: o.count, timeoutMs: o.timeout, peers: o.peers }));
      const broken = result.networks.some((n) => n.reachable < n.pairs) || result.errors.length > 0;
      if (o.json) printJson({ ok: !broken, ...result });
      else {
        const table = new Table({ head: ['network', 'pairs', 'reachable', 'loss %', 'rtt p50 ms', 'p95', 'max'], style: { head: [], border: [] } });
        const ms = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
        for (const n of result.networks) table.push([n.network, n.pairs, n.reachable, n.sent ? (100 * (1 - n.received / n.sent)).toFixed(1) : '-', ms(n.rttMs?.p50), ms(n.rttMs?.p95), ms(n.rttMs?.max)]);
        process.stdout.write(`${table.toString()}\n${result.errors.map((e) => `error: ${e}\n`).join('')}`);
      }
      if (broken) process.exitCode = 1;
    }));
}
