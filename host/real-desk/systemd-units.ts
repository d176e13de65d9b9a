/**
 * A real desk's systemd services (`deskbox desk units`): the desk-side work that runs all the
 * time, which a simulated desk's supervisor does itself. `deskbox-health` judges and recovers
 * the boards (`health serve`), `deskbox-schedule` runs the schedules people set
 * (`schedule serve`). A pure function of the paths, so a test can read and verify them.
 */
import { dirname } from 'node:path';
import { execWord } from '../../board/install/systemd-unit.ts';

export interface DeskUnitOptions {
  /** Absolute paths: Node, the deskbox CLI, the desk file, the state folder, the known-good board image. */
  node: string;
  cli: string;
  deskFile: string;
  state: string;
  boardImage: string;
  /** The account the services run as (one that may open the consoles: group dialout); root when absent. */
  user?: string;
}

export interface DeskUnit {
  name: string;
  text: string;
}

const exec = (o: DeskUnitOptions, args: string[]) => [o.node, o.cli, ...args].map(execWord).join(' ');
/** An Environment= assignment: systemd expands % specifiers there (not $), and takes it quoted whole when it holds blanks. */
function env(name: string, value: string): string {
  const escaped = `${name}=${value}`.replace(/%/g, '%%');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/[\\"]/g, '\\$&')}"` : escaped;
}

function unit(o: DeskUnitOptions, name: string, description: string, args: string[], stop: string): DeskUnit {
  return {
    name,
    text: `# Written by \`deskbox desk units\`; run it again rather than editing this file,
# or add overrides with \`systemctl edit ${name.replace(/\.service$/, '')}\`.
[Unit]
Description=${description}
Wants=network-online.target
After=network-online.target
# The broker may be down for a while (an upgrade, a reboot of its machine): keep trying.
StartLimitIntervalSec=0

[Service]
Type=exec
ExecStart=${exec(o, args)}
${o.user ? `User=${o.user}\n` : ''}# Relative paths in the desk file and in scheduled commands are the desk folder's.
WorkingDirectory=${dirname(o.deskFile)}
Environment=${env('DESKBOX_DESK_FILE', o.deskFile)}
Environment=${env('DESKBOX_STATE', o.state)}
Environment=DESKBOX_LOG=info
# Exits 1 when it cannot start (the broker unreachable, a broken desk file): try again.
Restart=always
RestartSec=5
${stop}

[Install]
WantedBy=multi-user.target
`,
  };
}

export function deskUnits(o: DeskUnitOptions): DeskUnit[] {
  return [
    unit(o, 'deskbox-health.service', 'deskbox desk: board health, quarantine and recovery',
      ['health', 'serve', '--desk-file', o.deskFile, '--state', o.state, '--board-image', o.boardImage],
      `# SIGTERM stops judging at once; a reflash in flight is cut off and the board recovered
# again at the next start (its verdict says quarantined or recovering).
TimeoutStopSec=20`),
    unit(o, 'deskbox-schedule.service', 'deskbox desk: run the schedules people set',
      ['schedule', 'serve', '--state', o.state],
      `# SIGTERM goes to the schedule service only; it passes it to the commands it started (a
# run writes its bundle and stops its guests), then ends. What still runs after
# TimeoutStopSec is killed.
KillMode=mixed
TimeoutStopSec=120`),
  ];
}
