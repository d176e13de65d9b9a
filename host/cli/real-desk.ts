/** `deskbox desk check|discover|describe`: a real desk from its desk file (docs/real-desk.md). */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { systemClock } from '../../platform/clock.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { deskLayout } from '../locations/layout.ts';
import { readDeskFile, readLiveRunFile, DeskStateError } from '../locations/desk-file.ts';
import { brokerUrls } from '../locations/broker-urls.ts';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { resolveBoardSet } from '../client/board-set.ts';
import { loadDeskYaml } from '../locations/desk-yaml.ts';
import { defaultAdapterSources, listAdapters, stablePath } from '../real-desk/adapters.ts';
import { resolveConsoles } from '../real-desk/console-paths.ts';
import { checkDesk, describeAnswer } from '../real-desk/check.ts';
import { discoverConsoles } from '../real-desk/discover.ts';
import { writeConsolePaths } from '../real-desk/desk-yaml-write.ts';
import { describeSimulatedDesk } from '../real-desk/describe-sim.ts';
import { openSwitchboard } from '../real-desk/switchboard.ts';
import { probeOptionsFor } from '../real-desk/probe-profile.ts';
import { BOOT_BANNER } from '../real-desk/boot-watch.ts';
import { integer as int, stateOption } from './options.ts';
import { action, printJson } from './run.ts';

const openSerial = (path: string, baud: number) => serialportBinding().open(path, { baudRate: baud });

export function registerRealDesk(desk: Command): void {
  stateOption(desk.command('check'))
    .description('check a real desk: every console opens and answers (U-Boot or the agent, as the right board), every outlet answers')
    .requiredOption('--desk-file <file>', 'the desk file (or set DESKBOX_DESK_FILE)', process.env.DESKBOX_DESK_FILE)
    .option('--boards <set>', 'only these boards (all, ids and ranges, tag:<name>)', 'all')
    .option('--dev-dir <dir>', 'where udev keeps the serial links (by-path, by-id)', '/dev/serial')
    .option('--timeout <s>', 'seconds a console has to answer', int('--timeout', 1), 15)
    .option('--parallel <n>', 'consoles checked at once', int('--parallel', 1), 32)
    .option('--json', 'print JSON')
    .action(action(async (o) => {
      const real = await loadDeskYaml(o.deskFile);
      const boards = resolveBoardSet(o.boards, Object.keys(real.boards), (b) => real.boards[b]?.tags ?? []);
      const consoles = await resolveConsoles(real, async () => (await listAdapters(defaultAdapterSources(o.devDir))).adapters, boards);
      const power = await openSwitchboard(real, { state: o.state, say: (l) => process.stderr.write(`${l}\n`) });
      try {
        const probes = await probeOptionsFor(real, boards, o.timeout * 1000);
        const rows = await checkDesk(consoles, { openSerial, outletOf: power.outletOf, probeOptions: (b) => probes.get(b)!, parallel: o.parallel });
        const failed = rows.filter((r) => r.problems.length > 0);
        if (o.json) printJson({ ok: failed.length === 0, desk: real.desk, boards: rows });
        else {
          const table = new Table({ head: ['board', 'console', 'answer', 'outlet', 'state', 'problems'], style: { head: [], border: [] } });
          for (const r of rows) table.push([r.board, r.console, describeAnswer(r.answer), r.outlet ?? '-', r.outletState ?? '-', r.problems.join('\n') || 'ok']);
          process.stdout.write(`${table.toString()}\n`);
          process.stdout.write(failed.length === 0 ? `all ${rows.length} boards answer\n` : `${failed.length} of ${rows.length} boards failed: ${failed.map((r) => r.board).join(', ')}\n`);
        }
        if (failed.length > 0) process.exitCode = 1;
      } finally {
        await power.close();
      }
    }));

  stateOption(desk.command('discover'))
    .description('list USB serial adapters; with outlets in the desk file, switch them one at a time and write which console each board is on')
    .requiredOption('--desk-file <file>', 'the desk file: boards with their power outlets (or set DESKBOX_DESK_FILE)', process.env.DESKBOX_DESK_FILE)
    .option('--dev-dir <dir>', 'where udev keeps the serial links (by-path, by-id)', '/dev/serial')
    .option('--boot-timeout <s>', 'seconds from power-on to a board\'s boot banner', int('--boot-timeout', 1), 30)
    .option('--banner <regex>', 'what a booting board prints first', BOOT_BANNER.source)
    .option('--baud <rate>', 'the consoles\' baud rate', int('--baud', 300), 115200)
    .option('--dry-run', 'only say what was found; leave the desk file as it is')
    .option('--json', 'print JSON')
    .action(action(async (o) => {
      const real = await loadDeskYaml(o.deskFile);
      const { adapters, listProblem } = await listAdapters(defaultAdapterSources(o.devDir));
      const say = (line: string) => { if (!o.json) process.stderr.write(`${line}\n`); };
      if (listProblem) say(`warning: ${listProblem}`);
      if (!o.json) {
        const table = new Table({ head: ['device', 'by-path', 'by-id', 'vendor:product', 'manufacturer', 'serial'], style: { head: [], border: [] } });
        for (const a of adapters) table.push([a.device, a.byPath ?? '-', a.byId ?? '-', a.vendorId ? `${a.vendorId}:${a.productId ?? '?'}` : '-', a.manufacturer ?? '-', a.serialNumber ?? '-']);
        process.stdout.write(`${adapters.length} serial adapter(s)\n${table.toString()}\n`);
      }
      const power = await openSwitchboard(real, { state: o.state, say });
      try {
        const outlets = Object.keys(real.boards).flatMap((b) => { const out = power.outletOf(b); return out ? [[b, out] as [string, typeof out]] : []; });
        if (outlets.length === 0) {
          if (o.json) printJson({ ok: true, adapters, found: {}, problems: [] });
          else say('no board of the desk file has a power outlet: nothing to switch (give boards power: and run again)');
          return;
        }
        const result = await discoverConsoles(adapters, outlets, {
          openSerial, baud: o.baud, clock: systemClock(), banner: new RegExp(o.banner), bootTimeoutMs: o.bootTimeout * 1000, graceMs: 1500, offSettleMs: 2000, say,
        });
        const paths = Object.fromEntries(Object.entries(result.found).map(([b, a]) => [b, stablePath(a)]));
        const write = result.problems.length === 0 && !o.dryRun && Object.keys(paths).length > 0;
        if (write) await writeConsolePaths(real.file, paths);
        if (o.json) printJson({ ok: result.problems.length === 0, adapters, found: paths, problems: result.problems, written: write });
        else {
          for (const p of result.problems) process.stderr.write(`deskbox: ${p}\n`);
          say(write ? `wrote ${Object.keys(paths).length} console(s) into ${real.file}` : `${real.file} left as it was${result.problems.length > 0 ? ' (fix the problems above and run again)' : ''}`);
        }
        if (result.problems.length > 0) process.exitCode = 1;
      } finally {
        await power.close();
      }
    }));

  stateOption(desk.command('describe'))
    .description('write a desk file for the running simulated desk, to try the real-desk commands on it')
    .option('--out <file>', 'write it here (default: print it)')
    .option('--no-consoles', 'leave the consoles out (for desk discover to find)')
    .action(action(async (o) => {
      const layout = deskLayout(o.state);
      const desk = await readDeskFile(layout);
      const run = await readLiveRunFile(layout);
      if (!run) throw new DeskStateError(`the desk in ${layout.root} is not running (deskbox desk up)`);
      // A cluster's every node (node 0 first), else the one broker.
      const nodes = (run.nodes ?? [run]).map((n) => brokerUrls(run.host, n));
      if (!nodes.every((n) => n.mqtts)) throw new DeskStateError(`the desk in ${layout.root} runs no TLS listener`);
      const one = <T,>(list: T[]) => (list.length === 1 ? list[0]! : list);
      const ws = nodes.flatMap((n) => (n.wss ? [n.wss] : []));
      const text = describeSimulatedDesk(layout, desk, { url: one(nodes.map((n) => n.mqtts!)), ...(ws.length > 0 && { ws: one(ws) }) }, { consoles: o.consoles });
      if (o.out) await writeFileAtomic(o.out, text, { durable: true });
      else process.stdout.write(text);
    }));
}
