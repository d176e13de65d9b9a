/** `deskbox desk ...`: the simulated desk's lifecycle, and a real or simulated desk's power and links. */
import type { Command } from 'commander';
import { deskDown } from '../desk/up.ts';
import { deskLayout } from '../locations/layout.ts';
import { controlRequest } from '../desk/control.ts';
import { runSupervisor } from '../desk/supervisor.ts';
import { runBrokerProcess } from '../desk/broker-process.ts';
import { stderrLogger } from '../../platform/log.ts';
import { integer as int, stateOption } from './options.ts';
import { registerDeskUp } from './desk-up.ts';
import { registerRealDesk } from './real-desk.ts';
import { registerDeskConsoles } from './desk-consoles.ts';
import { registerDeskUnits } from './desk-units.ts';
import { registerDeskPower } from './desk-power.ts';
import { action, invokedAs, printJson } from './run.ts';
import { deskStatus } from '../desk/status.ts';
import { describeDeskLan } from '../desk/desk-lan.ts';

export function registerDesk(program: Command): void {
  const desk = program.command('desk').description('a desk: start, stop and inspect a simulated one on this machine; check, discover, switch and watch a real one (--desk-file)');

  registerDeskUp(desk);
  registerRealDesk(desk);
  registerDeskConsoles(desk);
  registerDeskUnits(desk);

  stateOption(desk.command('down'))
    .description('stop the simulated desk and everything it started')
    .option('--timeout <s>', 'seconds to wait before killing it (boards stop their guests first)', int('--timeout', 1), 90)
    .option('--json', 'print the result as JSON')
    .action(action(async (o) => {
      const down = await deskDown(o.state, o.timeout);
      if (o.json) return printJson({ ok: true, stopped: down ?? null });
      process.stdout.write(down ? `desk stopped (supervisor pid ${down.pid}${down.forced ? '; its leftover processes were killed' : ''})\n` : `no desk running in ${deskLayout(o.state).root}\n`);
    }));

  stateOption(desk.command('status'))
    .description('show the desk supervisor and each board process')
    .option('--json', 'print JSON')
    .action(action(async (o) => {
      const status = await deskStatus(deskLayout(o.state));
      if (o.json) return printJson(status);
      const b = status.broker;
      const kept = (k: { pid: number | null; restarts: number; lastExit: string | null; lastDownMs: number | null }) =>
        `pid ${k.pid ?? 'none: restarting'}, ${k.restarts} restart${k.restarts === 1 ? '' : 's'}${k.lastExit ? `, last exit: ${k.lastExit}` : ''}${k.lastDownMs !== null ? `, back in ${(k.lastDownMs / 1000).toFixed(2)} s` : ''}`;
      process.stdout.write(`desk ${status.desk}: supervisor pid ${status.pid}, broker ${b.mqtts ?? b.url} (${kept(b)})${status.dashboard ? `, dashboard ${status.dashboard}` : ''}\n`);
      for (const [i, n] of (status.nodes ?? []).entries()) process.stdout.write(`  node ${i}       ${n.mqtts ?? n.url} (${kept(n)})\n`);
      if (status.redis) process.stdout.write(`  redis        ${status.redis.url} (${kept(status.redis)})\n`);
      for (const g of status.groups) {
        const pids = g.processes.map((p) => p.pid).join(',') || '-';
        process.stdout.write(`  ${g.name.padEnd(12)} power ${g.power.padEnd(3)}  pid ${pids.padEnd(8)} restarts ${g.restarts}${g.lastExit ? `  last exit: ${g.lastExit}` : ''}\n`);
        for (const [b, why] of Object.entries(g.dark)) process.stdout.write(`    ${b} dark: ${why}\n`);
      }
      process.stdout.write(`  desk LAN     ${describeDeskLan(status.lan)}\n`);
    }));

  registerDeskPower(desk);

  stateOption(desk.command('link'))
    .description('change a simulated board\'s serial link: noise, rate, latency, the cable, the USB adapter')
    .argument('<board>', 'board id')
    .option('--bit-error-rate <p>', 'probability per byte of a flipped bit', Number)
    .option('--drop-rate <p>', 'probability per byte of it being lost', Number)
    .option('--baud <rate>', 'line rate', Number)
    .option('--latency <ms>', 'one-way latency', Number)
    .option('--unplug', 'pull the cable')
    .option('--plug', 'plug it back in')
    .option('--unplug-adapter', 'pull the USB adapter out: its device (the console port) disappears')
    .option('--plug-adapter', 'put it back: the device reappears at the same path')
    .option('--json', 'print JSON')
    .action(action(async (board: string, o) => {
      const changes = Object.fromEntries(Object.entries({ bitErrorRate: o.bitErrorRate, dropRate: o.dropRate, baud: o.baud, latencyMs: o.latency, plugged: o.unplug ? false : o.plug ? true : undefined, adapterPlugged: o.unplugAdapter ? false : o.plugAdapter ? true : undefined }).filter(([, v]) => v !== undefined));
      const state = await controlRequest<Record<string, unknown>>(deskLayout(o.state).controlSocket, 'POST', '/link', { board, ...changes });
      if (o.json) return printJson(state);
      process.stdout.write(`${board}: ${state.baud} baud, ${state.latencyMs} ms, bit errors ${state.bitErrorRate}, drops ${state.dropRate}, adapter ${state.adapter}\n`);
    }));

  stateOption(desk.command('supervise', { hidden: true }))
    .description('run the desk supervisor in the foreground (desk up starts it in the background)')
    .action(action(async (o) => {
      await runSupervisor({ stateDir: o.state, cli: process.argv[1]!, cliHint: invokedAs(), logger: stderrLogger('desk') });
    }));

  stateOption(desk.command('broker', { hidden: true }))
    .description('run a simulated desk\'s broker (the supervisor starts it as its own process)')
    .requiredOption('--port <port>', 'plain TCP port (0: any free port; none: no such listener)', portOrNone('--port'))
    .requiredOption('--ws-port <port>', 'plain WebSocket port', portOrNone('--ws-port'))
    .requiredOption('--tls-port <port>', 'MQTT over TLS port', portOrNone('--tls-port'))
    .requiredOption('--wss-port <port>', 'secure WebSocket port', portOrNone('--wss-port'))
    .option('--cluster <url>', 'a cluster node on this redis-server instead of the SQLite store')
    .option('--node <name>', 'the cluster node\'s name in $SYS statistics', 'node0')
    .action(action(async (o) => {
      const cluster = o.cluster ? { url: o.cluster, node: o.node } : undefined;
      await runBrokerProcess(deskLayout(o.state), { tcpPort: o.port, wsPort: o.wsPort, tlsPort: o.tlsPort, wssPort: o.wssPort }, stderrLogger('desk:broker'), cluster);
    }));
}

const portOrNone = (name: string) => (v: string) => (v === 'none' ? null : int(name, 0)(v));
