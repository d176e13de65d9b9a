/**
 * A desk's QEMU board as a machine: Debian's U-Boot on `-M virt -cpu cortex-a15`, its disk
 * (board-disk.ts) on virtio0, a virtio network that reaches the desk broker and nothing else,
 * and a virtio RNG so early boot never waits for entropy. The network is QEMU's user mode with
 * `restrict=on`: the board gets 10.0.2.15 by DHCP and cannot open connections anywhere, except
 * the one guestfwd: 10.0.2.100:1883 on the board is the desk broker on this machine's loopback,
 * one socat per connection (QEMU starts it; it ends with the connection).
 */
import { startQemuBoard, type QemuBoard } from '../flash/qemu-board.ts';

/** The desk broker as a QEMU board sees it. */
export const BOARD_BROKER_HOST = '10.0.2.100';
export const BOARD_BROKER_PORT = 1883;
export const BOARD_BROKER_URL = `mqtt://${BOARD_BROKER_HOST}:${BOARD_BROKER_PORT}`;
/**
 * On a desk, the board reaches the broker's TLS listener, by a name its /etc/hosts maps to the
 * forwarded address and the broker's certificate covers (host/tls/cert-names.ts).
 */
export const BOARD_BROKER_TLS_PORT = 8883;
export const boardBrokerTlsUrl = (name: string) => `mqtts://${name}:${BOARD_BROKER_TLS_PORT}`;

/** Where the board asks the desk's power switch when it was switched on (board-init.sh). */
export const BOARD_POWER_HOST = '10.0.2.101';

/** A Cortex-A8 class board has 512 MB. */
const RAM_MIB = 512;

export interface QemuMachineOptions {
  /** Folder for QEMU's monitor socket. */
  dir: string;
  disk: string;
  /** The desk broker's TCP port on 127.0.0.1. */
  brokerPort: number;
  /** The port the board connects to on the forwarded address (default: plain MQTT's). */
  brokerGuestPort?: number;
  /** A tty for the board's UART (default: a pty of QEMU's own). */
  console?: string;
  /** Holds the power-on instant (ms) the desk writes at each power-on; the board reads it and the desk's clock now. */
  powerOnFile?: string;
  timeoutMs?: number;
}

export function qemuBoardDevices(disk: string, brokerPort: number, guestPort = BOARD_BROKER_PORT, powerOnFile?: string): string[] {
  if (!Number.isInteger(brokerPort) || brokerPort <= 0 || brokerPort > 65535) throw new RangeError(`broker port ${brokerPort}`);
  // A comma ends a -netdev option, so the disk path goes into -drive alone, escaped as QEMU wants (",,").
  const file = disk.replaceAll(',', ',,');
  // QEMU hands the connection to socat as its stdin, stdout and stderr: its own messages
  // (a refused connect) would reach the board as MQTT bytes, so they go to /dev/null.
  const forward = `guestfwd=tcp:${BOARD_BROKER_HOST}:${guestPort}-cmd:socat -lf /dev/null STDIO TCP:127.0.0.1:${brokerPort}`;
  // QEMU splits the command like a shell would, and sh parses it again: only plain path characters pass.
  if (powerOnFile && !/^[\w./+-]+$/.test(powerOnFile)) throw new RangeError(`power-on file ${powerOnFile}: use only letters, digits and _ . / + -`);
  const power = powerOnFile ? `,guestfwd=tcp:${BOARD_POWER_HOST}:80-cmd:sh -c "cat ${powerOnFile}; date +%s%3N"` : '';
  return [
    '-drive', `if=none,id=disk0,format=raw,file=${file}`, '-device', 'virtio-blk-device,drive=disk0',
    '-netdev', `user,id=net0,restrict=on,${forward}${power}`, '-device', 'virtio-net-device,netdev=net0',
    '-device', 'virtio-rng-device',
  ];
}

/** Powered off until `reset()`: open the console first (QEMU drops what it prints until then). */
export function startQemuMachine(opts: QemuMachineOptions): Promise<QemuBoard> {
  return startQemuBoard(opts.dir, {
    ramMiB: RAM_MIB, devices: qemuBoardDevices(opts.disk, opts.brokerPort, opts.brokerGuestPort, opts.powerOnFile),
    ...(opts.console !== undefined ? { serial: opts.console } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}
