/**
 * A desk's QEMU board as a machine: Debian's U-Boot on `-M virt -cpu cortex-a15`, its disk
 * (board-disk.ts) on virtio0, a virtio network that reaches the desk broker and nothing else,
 * and a virtio RNG so early boot never waits for entropy. The network is QEMU's user mode with
 * `restrict=on`: the board gets 10.0.2.15 by DHCP and cannot open connections anywhere, except
 * the one guestfwd: 10.0.2.100:1883 on the board is the desk broker on this machine's loopback,
 * one socat per connection (QEMU starts it; it ends with the connection). A desk with several
 * broker nodes forwards to the first node that takes a connection: the board reconnects to the
 * same address whichever node dies.
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
  /** The desk broker's TCP port on 127.0.0.1; a cluster's nodes' ports, the first tried first. */
  brokerPorts: number[];
  /** The port the board connects to on the forwarded address (default: plain MQTT's). */
  brokerGuestPort?: number;
  /** A tty for the board's UART (default: a pty of QEMU's own). */
  console?: string;
  /** Holds the power-on instant (ms) the desk writes at each power-on; the board reads it and the desk's clock now. */
  powerOnFile?: string;
  timeoutMs?: number;
}

export function qemuBoardDevices(disk: string, brokerPorts: number[], guestPort = BOARD_BROKER_PORT, powerOnFile?: string): string[] {
  const bad = brokerPorts.find((p) => !Number.isInteger(p) || p <= 0 || p > 65535);
  if (brokerPorts.length === 0 || bad !== undefined) throw new RangeError(`broker port ${bad ?? 'missing'}`);
  // A comma ends a -netdev option, so the disk path goes into -drive alone, escaped as QEMU wants (",,").
  const file = disk.replaceAll(',', ',,');
  const forward = `guestfwd=tcp:${BOARD_BROKER_HOST}:${guestPort}-cmd:${brokerForward(brokerPorts)}`;
  // QEMU splits the command like a shell would, and sh parses it again: only plain path characters pass.
  if (powerOnFile && !/^[\w./+-]+$/.test(powerOnFile)) throw new RangeError(`power-on file ${powerOnFile}: use only letters, digits and _ . / + -`);
  const power = powerOnFile ? `,guestfwd=tcp:${BOARD_POWER_HOST}:80-cmd:sh -c "cat ${powerOnFile}; date +%s%3N"` : '';
  return [
    '-drive', `if=none,id=disk0,format=raw,file=${file}`, '-device', 'virtio-blk-device,drive=disk0',
    '-netdev', `user,id=net0,restrict=on,${forward}${power}`, '-device', 'virtio-net-device,netdev=net0',
    '-device', 'virtio-rng-device',
  ];
}

/**
 * The command QEMU runs per board connection. QEMU hands it the connection as stdin, stdout and
 * stderr: socat's own messages (a refused connect) would reach the board as MQTT bytes, so they
 * go to /dev/null. With several nodes, each is first probed with a connect of its own (a broker
 * that refuses would otherwise be found only after the board's bytes were spent on it).
 */
export function brokerForward(ports: number[]): string {
  const relay = (port: number | string) => `socat -lf /dev/null STDIO TCP:127.0.0.1:${port}`;
  if (ports.length === 1) return relay(ports[0]!);
  // Single quotes: QEMU splits the line as a shell would, and `$p` must reach sh unexpanded.
  return `sh -c 'for p in ${ports.join(' ')}; do socat -u OPEN:/dev/null TCP:127.0.0.1:$p 2>/dev/null && exec ${relay('$p')}; done'`;
}

/** Powered off until `reset()`: open the console first (QEMU drops what it prints until then). */
export function startQemuMachine(opts: QemuMachineOptions): Promise<QemuBoard> {
  return startQemuBoard(opts.dir, {
    ramMiB: RAM_MIB, devices: qemuBoardDevices(opts.disk, opts.brokerPorts, opts.brokerGuestPort, opts.powerOnFile),
    ...(opts.console !== undefined ? { serial: opts.console } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}
