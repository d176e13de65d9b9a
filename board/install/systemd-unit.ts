/**
 * The board's systemd service: systemd is the init the boot program's exit codes talk to
 * (board/boot/exit-codes.ts). A pure function of the install options, so a test can read it.
 */
import { HALT_EXIT_CODE, REBOOT_EXIT_CODE } from '../launch/exit-codes.ts';

export interface UnitOptions {
  node: string;
  nodeFlags: readonly string[];
  bootProgram: string;
  config: string;
}

/** One ExecStart word: systemd expands % specifiers and $VARIABLES, and splits on blanks. */
export function execWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/[\\"]/g, '\\$&')}"` : escaped;
}

export function systemdUnit(o: UnitOptions): string {
  const exec = [o.node, ...o.nodeFlags, o.bootProgram, '--config', o.config].map(execWord).join(' ');
  return `# Written by \`board-boot.mjs install\`; run it again rather than editing this file,
# or add overrides with \`systemctl edit deskbox-board\`.
[Unit]
Description=deskbox board: boot an A/B image slot and run its agent
Wants=network-online.target
After=network-online.target
# Never stop restarting: a board without its agent is lost to the desk.
StartLimitIntervalSec=0

[Service]
Type=exec
ExecStart=${exec}
# The agent's log level: debug, info, warn or error.
Environment=DESKBOX_LOG=info
# Exit ${REBOOT_EXIT_CODE} is the agent asking for a reboot (a flash was committed): start again
# promptly, and the boot program picks the new slot. A crash restarts too.
Restart=always
RestartSec=1
# Exit ${HALT_EXIT_CODE}: halted, nothing bootable (no good slot, a broken config); a restart cannot help.
RestartPreventExitStatus=${HALT_EXIT_CODE}
# SIGTERM goes to the boot program only; it passes it to the agent, which stops its guests
# (60 s at most) before it exits. Whatever still runs after TimeoutStopSec is killed.
KillMode=mixed
TimeoutStopSec=70
# A 512 MB board: the agent (~30 MB) and what it starts in this cgroup get 384 MB, leaving the
# kernel, sshd and journald room; a runaway experiment is OOM-killed here, not the board's login.
MemoryMax=384M
# /run/deskbox (tmpfs): the unpacked agent and the guests' state. Kept across restarts of the
# service (a reboot request), emptied at a real reboot.
RuntimeDirectory=deskbox
RuntimeDirectoryPreserve=restart
# /var/lib/deskbox: the flash slots, the boot environment and the image store.
StateDirectory=deskbox

[Install]
WantedBy=multi-user.target
`;
}
