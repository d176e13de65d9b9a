/** `deskbox desk up|down|status|power`: the simulated desk's lifecycle. */
import { Option, type Command } from 'commander';
import { deskDown, deskUp } from '../desk/up.ts';
import { DEFAULT_STATE_DIR, deskLayout } from '../locations/layout.ts';
import { controlRequest } from '../desk/control.ts';
import { runSupervisor } from '../desk/supervisor.ts';
import { runBrokerProcess } from '../desk/broker-process.ts';
import { stderrLogger } from '../../platform/log.ts';
import { stateOption } from './options.ts';
import { action, invokedAs, printJson } from './run.ts';
import type { GroupState } from '../desk/board-processes.ts';
import { deskStatus } from '../desk/status.ts';

const int = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${value}"`);
  return n;
};

/** `--tag rack1=b001-b040`, repeated: tag name -> board set. */
function tagOption(value: string, previous: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,62})=(.+)$/.exec(value);
  if (!m) throw new Error(`--tag wants <name>=<boards> (e.g. rack1=b001-b040), got "${value}"`);
  return { ...previous, [m[1]!]: m[2]! };
}

export function registerDesk(program: Command): void {
  const desk = program.command('desk').description('start, stop and inspect a simulated desk on this machine');

  stateOption(desk.command('up'))
    .description('start a simulated desk: broker, boards with simulated hardware, and wait until all are online')
    .option('--boards <n>', 'number of boards', int('--boards', 1), 8)
    .option('--desk <id>', 'desk id (the second topic level)', 'desk1')
    .option('--boards-per-process <k>', 'boards hosted by one agent process', int('--boards-per-process', 1), 1)
    .option('--port <port>', 'broker TCP port on 127.0.0.1 (0: any free port)', int('--port', 0), 0)
    .option('--ws-port <port>', 'broker WebSocket port (0: any free port)', int('--ws-port', 0), 0)
    .option('--keepalive <s>', 'MQTT keepalive of the boards, seconds', int('--keepalive', 1), 10)
    .option('--telemetry-period <s>', 'seconds between telemetry messages', int('--telemetry-period', 1), 2)
    .option('--restart-delay <s>', 'seconds before a crashed agent restarts (0: never)', int('--restart-delay', 0), 2)
    .addOption(new Option('--guest-runtime <kind>', 'crun containers, or plain processes (no isolation); auto: crun where it and root are there').choices(['auto', 'crun', 'process']).default('auto'))
    .option('--max-guests <n>', 'guests a board may run at most', int('--max-guests', 0), 1024)
    .option('--baud <rate>', 'baud rate of every board\'s serial console (the link emulator enforces it)', int('--baud', 300), 115200)
    .option('--latency <ms>', 'one-way latency of the USB serial adapters, ms', int('--latency', 0), 16)
    .option('--boot-delay <ms>', 'U-Boot\'s autoboot countdown at each power-on, ms', int('--boot-delay', 0), 1000)
    .option('--tag <name=boards>', 'tag a board set, for `tag:<name>` in board sets (repeatable): rack1=b001-b040', tagOption, {})
    .option('--dashboard-port <port>', 'port of the web dashboard the desk serves (0: any free port; -1: none)', int('--dashboard-port', -1), 0)
    .option('--home-assistant', 'publish Home Assistant MQTT discovery for every board (docs/metrics.md)')
    .option('--board-image <file>', 'board image to program into the boards (default: one built from this deskbox, signed with the desk key)')
    .option('--timeout <s>', 'give up if boards are not all online by then', int('--timeout', 1), 60)
    .option('--json', 'print the result as JSON')
    .action(action(async (o) => {
      const tty = process.stderr.isTTY && !o.json;
      const result = await deskUp({
        state: o.state, desk: o.desk, boards: o.boards, boardsPerProcess: o.boardsPerProcess, host: '127.0.0.1',
        port: o.port, wsPort: o.wsPort, keepaliveS: o.keepalive, telemetryPeriodS: o.telemetryPeriod,
        restartDelayS: o.restartDelay, timeoutS: o.timeout, guestRuntime: o.guestRuntime, maxGuestsPerBoard: o.maxGuests, boardImage: o.boardImage,
        consoleBaud: o.baud, consoleLatencyMs: o.latency, bootDelayMs: o.bootDelay, tags: o.tag,
        dashboardPort: o.dashboardPort === -1 ? null : o.dashboardPort, homeAssistant: Boolean(o.homeAssistant),
        onProgress: tty ? (n: number, total: number) => process.stderr.write(`\rboards online: ${n}/${total}`) : undefined,
      });
      if (tty) process.stderr.write('\n');
      if (o.json) return printJson(result);
      const { port, hostname } = new URL(result.broker.url);
      const me = invokedAs();
      const at = o.state === (process.env.DESKBOX_STATE ?? DEFAULT_STATE_DIR) ? '' : ` --state ${o.state}`;
      process.stdout.write([
        `desk ${result.desk} is up: ${result.online}/${result.boards} boards online in ${(result.msToAllOnline / 1000).toFixed(2)} s`,
        `  image      ${result.image.file} (${result.image.sha256.slice(0, 12)}; programmed into ${result.image.programmed} board${result.image.programmed === 1 ? '' : 's'} now)`,
        `  broker     ${result.broker.url}${result.broker.ws ? `  (WebSocket ${result.broker.ws})` : ''}`,
        ...(result.portsNote ? [`  note       ${result.portsNote}`] : []),
        ...(result.dashboard ? [`  dashboard  ${result.dashboard}  (log in as monitor to watch, host to command; ${result.dashboard}metrics for Prometheus)`] : []),
        `  watch      mosquitto_sub -h ${hostname} -p ${port} -u ${result.monitor.user} -P '${result.monitor.password}' -t 'deskbox/#' -v`,
        `  boards     ${me} boards${at}   |   ${me} monitor${at}`,
        `  state      ${result.state}  (credentials/, logs/, boards/<id>/console.log)`,
        `  stop       ${me} desk down${at}`,
        '',
      ].join('\n'));
    }));

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
      const restarts = `${b.restarts} restart${b.restarts === 1 ? '' : 's'}${b.lastExit ? `, last exit: ${b.lastExit}` : ''}${b.lastDownMs !== null ? `, back in ${(b.lastDownMs / 1000).toFixed(2)} s` : ''}`;
      process.stdout.write(`desk ${status.desk}: supervisor pid ${status.pid}, broker ${b.url} (pid ${b.pid ?? 'none: restarting'}, ${restarts})${status.dashboard ? `, dashboard ${status.dashboard}` : ''}\n`);
      for (const g of status.groups) {
        const pids = g.processes.map((p) => p.pid).join(',') || '-';
        process.stdout.write(`  ${g.name.padEnd(12)} power ${g.power.padEnd(3)}  pid ${pids.padEnd(8)} restarts ${g.restarts}${g.lastExit ? `  last exit: ${g.lastExit}` : ''}\n`);
        for (const [b, why] of Object.entries(g.dark)) process.stdout.write(`    ${b} dark: ${why}\n`);
      }
    }));

  stateOption(desk.command('power'))
    .description('switch a simulated board\'s power (boards sharing a process switch together)')
    .argument('<board>', 'board id, e.g. b03')
    .argument('<action>', 'on | off | cycle')
    .option('--json', 'print JSON')
    .action(action(async (board: string, act: string, o) => {
      const state = await controlRequest<GroupState>(deskLayout(o.state).controlSocket, 'POST', '/power', { board, action: act });
      if (o.json) return printJson(state);
      const pids = state.processes.map((p) => p.pid).join(',');
      process.stdout.write(`${state.boards.join(', ')}: power ${state.power}${pids ? ` (pid ${pids})` : ''}\n`);
      for (const [b, why] of Object.entries(state.dark)) process.stdout.write(`  ${b} dark: ${why}\n`);
    }));

  stateOption(desk.command('link'))
    .description('change a simulated board\'s serial link: noise, rate, latency, the cable')
    .argument('<board>', 'board id')
    .option('--bit-error-rate <p>', 'probability per byte of a flipped bit', Number)
    .option('--drop-rate <p>', 'probability per byte of it being lost', Number)
    .option('--baud <rate>', 'line rate', Number)
    .option('--latency <ms>', 'one-way latency', Number)
    .option('--unplug', 'pull the cable')
    .option('--plug', 'plug it back in')
    .option('--json', 'print JSON')
    .action(action(async (board: string, o) => {
      const changes = Object.fromEntries(Object.entries({ bitErrorRate: o.bitErrorRate, dropRate: o.dropRate, baud: o.baud, latencyMs: o.latency, plugged: o.unplug ? false : o.plug ? true : undefined }).filter(([, v]) => v !== undefined));
      const state = await controlRequest<Record<string, unknown>>(deskLayout(o.state).controlSocket, 'POST', '/link', { board, ...changes });
      if (o.json) return printJson(state);
      process.stdout.write(`${board}: ${state.baud} baud, ${state.latencyMs} ms, bit errors ${state.bitErrorRate}, drops ${state.dropRate}\n`);
    }));

  stateOption(desk.command('supervise', { hidden: true }))
    .description('run the desk supervisor in the foreground (desk up starts it in the background)')
    .action(action(async (o) => {
      await runSupervisor({ stateDir: o.state, cli: process.argv[1]!, cliHint: invokedAs(), logger: stderrLogger('desk') });
    }));

  stateOption(desk.command('broker', { hidden: true }))
    .description('run a simulated desk\'s broker (the supervisor starts it as its own process)')
    .requiredOption('--port <port>', 'TCP port (0: any free port)', int('--port', 0))
    .requiredOption('--ws-port <port>', 'WebSocket port (0: any free port; none: no WebSocket listener)', (v: string) => (v === 'none' ? null : int('--ws-port', 0)(v)))
    .action(action(async (o) => {
      await runBrokerProcess(deskLayout(o.state), { tcpPort: o.port, wsPort: o.wsPort }, stderrLogger('desk:broker'));
    }));
}
