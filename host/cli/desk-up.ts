/** `deskbox desk up`: provision and start a simulated desk, wait until every board is online, and say how to reach it. */
import { Option, type Command } from 'commander';
import { deskUp, type UpResult } from '../desk/up.ts';
import { DEFAULT_STATE_DIR } from '../locations/layout.ts';
import { healthThresholdOption, integer as int, stateOption } from './options.ts';
import { action, invokedAs, printJson } from './run.ts';
import { describeDeskLan } from '../desk/desk-lan.ts';

/** `--tag rack1=b001-b040`, repeated: tag name -> board set. */
function tagOption(value: string, previous: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,62})=(.+)$/.exec(value);
  if (!m) throw new Error(`--tag wants <name>=<boards> (e.g. rack1=b001-b040), got "${value}"`);
  return { ...previous, [m[1]!]: m[2]! };
}

export function registerDeskUp(desk: Command): void {
  stateOption(desk.command('up'))
    .description('start a simulated desk: broker, boards with simulated hardware, and wait until all are online')
    .option('--boards <n>', 'number of boards', int('--boards', 1), 8)
    .option('--desk <id>', 'desk id (the second topic level)', 'desk1')
    .option('--qemu-boards <n>', 'QEMU boards (q01, q02, ...) besides the simulated ones: emulated ARMv7 machines booting U-Boot, Linux and the agent (docs/qemu-board.md)', int('--qemu-boards', 0), 0)
    .option('--boards-per-process <k>', 'boards hosted by one agent process', int('--boards-per-process', 1), 1)
    .option('--host <addr>', 'address the broker and dashboard listen on; beyond loopback (e.g. 0.0.0.0) only over TLS (mqtts, wss, https) unless --plain', '127.0.0.1')
    .option('--plain', 'beyond loopback, also listen on plain MQTT and WebSocket (passwords cross the network in clear); on loopback they always run')
    .option('--port <port>', 'broker plain MQTT port (0: any free port)', int('--port', 0), 0)
    .option('--ws-port <port>', 'broker plain WebSocket port (0: any free port)', int('--ws-port', 0), 0)
    .option('--tls-port <port>', 'broker MQTT-over-TLS (mqtts) port (0: any free port)', int('--tls-port', 0), 0)
    .option('--wss-port <port>', 'broker secure WebSocket (wss) port (0: any free port)', int('--wss-port', 0), 0)
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
    .option('--broker-nodes <n>', 'broker nodes: more than 1 runs a cluster sharing a redis-server the desk starts (boards fail over between them; docs/architecture.md)', int('--broker-nodes', 1), 1)
    .option('--home-assistant', 'publish Home Assistant MQTT discovery for every board (docs/metrics.md)')
    .option('--health-schedule <cron>', 'when the boards run their self-checks (node-cron; 6 fields: seconds first), default every 10 minutes')
    .option('--recovery-timeout <s>', 'seconds a board may take to come back after a recovery step (power cycle, reflash)', int('--recovery-timeout', 1), 180)
    .option(...healthThresholdOption)
    .option('--board-image <file>', 'board image to program into the boards (default: one built from this deskbox, signed with the desk key)')
    .option('--timeout <s>', 'give up if boards are not all online by then (default 60; 300 with QEMU boards)', int('--timeout', 1))
    .option('--json', 'print the result as JSON')
    .action(action(async (o) => {
      const tty = process.stderr.isTTY && !o.json;
      const result = await deskUp({
        state: o.state, desk: o.desk, boards: o.boards, qemuBoards: o.qemuBoards, boardsPerProcess: o.boardsPerProcess, host: o.host, plain: Boolean(o.plain),
        port: o.port, wsPort: o.wsPort, tlsPort: o.tlsPort, wssPort: o.wssPort, keepaliveS: o.keepalive, telemetryPeriodS: o.telemetryPeriod,
        restartDelayS: o.restartDelay, timeoutS: o.timeout ?? (o.qemuBoards > 0 ? 300 : 60), guestRuntime: o.guestRuntime, maxGuestsPerBoard: o.maxGuests, boardImage: o.boardImage,
        consoleBaud: o.baud, consoleLatencyMs: o.latency, bootDelayMs: o.bootDelay, tags: o.tag,
        dashboardPort: o.dashboardPort === -1 ? null : o.dashboardPort, homeAssistant: Boolean(o.homeAssistant), brokerNodes: o.brokerNodes,
        health: { onlineTimeoutMs: o.recoveryTimeout * 1000, ...(o.healthSchedule ? { schedule: o.healthSchedule } : {}), thresholds: o.healthThreshold },
        onProgress: tty ? (n: number, total: number) => process.stderr.write(`\rboards online: ${n}/${total}`) : undefined,
      });
      if (tty) process.stderr.write('\n');
      if (o.json) return printJson(result);
      const at = o.state === (process.env.DESKBOX_STATE ?? DEFAULT_STATE_DIR) ? '' : ` --state ${o.state}`;
      process.stdout.write(upReport(result, invokedAs(), at));
    }));
}

/** What `desk up` prints: where everything is, and lines to paste. */
function upReport(result: UpResult, me: string, at: string): string {
  const { broker } = result;
  // A desk's broker always has its TLS listener (desk.json's tlsPort is never null).
  const { port, hostname } = new URL(broker.mqtts!);
  return [
    `desk ${result.desk} is up: ${result.online}/${result.boards} boards online in ${(result.msToAllOnline / 1000).toFixed(2)} s`,
    `  image      ${result.image.file} (${result.image.sha256.slice(0, 12)}; programmed into ${result.image.programmed} board${result.image.programmed === 1 ? '' : 's'} now)`,
    `  broker     ${broker.mqtts}${broker.wss ? `  (secure WebSocket ${broker.wss})` : ''}`,
    ...(broker.url ? [`  plain      ${broker.url}${broker.ws ? `  (WebSocket ${broker.ws})` : ''}`] : []),
    `  CA         ${broker.caFile}  (verifies the broker: mosquitto_sub --cafile, deskbox --ca, a board's caFile)`,
    ...(result.portsNote ? [`  note       ${result.portsNote}`] : []),
    ...(result.lan ? [`  desk LAN   ${describeDeskLan(result.lan)}`] : []),
    ...(result.dashboard ? [`  dashboard  ${result.dashboard}  (log in as monitor to watch, host to command; ${result.dashboard}metrics for Prometheus)`] : []),
    `  watch      mosquitto_sub -h ${hostname.replace(/^\[|\]$/g, '')} -p ${port} --cafile ${broker.caFile} -u ${result.monitor.user} -P '${result.monitor.password}' -t 'deskbox/#' -v`,
    `  boards     ${me} boards${at}   |   ${me} monitor${at}`,
    `  state      ${result.state}  (credentials/, tls/, logs/, boards/<id>/console.log)`,
    `  stop       ${me} desk down${at}`,
    '',
  ].join('\n');
}
