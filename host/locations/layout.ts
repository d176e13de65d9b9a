/**
 * Where a simulated desk keeps its state. One folder holds everything a desk needs to be
 * restarted, inspected or torn down, so several desks can live side by side.
 */
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { tlsFiles, type TlsFiles } from './tls-files.ts';

export interface DeskLayout {
  root: string;
  deskFile: string;
  runFile: string;
  supervisorLog: string;
  /** The broker process's own log (it runs beside the supervisor). */
  brokerLog: string;
  controlSocket: string;
  usersFile: string;
  brokerStore: string;
  /** The ports the broker last listened on: a desk brought up again keeps its address. */
  brokerPorts: string;
  /** The desk's CA and the broker's certificate (mqtts, wss, an HTTPS dashboard). */
  tls: TlsFiles;
  /** Why the desk last went down on its own (a crash-looping broker), for `desk status`. */
  downFile: string;
  /** The desk's health record: each board's health and its transitions (host/health/history.ts). */
  healthDb: string;
  /** Each board's last known-good board image and the kept copies (host/health/known-good.ts). */
  knownGoodDir: string;
  /** The desk's schedules and their runs (host/schedule/store.ts). */
  schedulesDb: string;
  logsDir: string;
  /** Images the desk builds for its boards: `busybox.dbi` (guest), `board.dbi` (board). */
  imagesDir: string;
  guestImage: string;
  boardImage: string;
  /** The board image of the desk's QEMU boards (armv7) and the busybox guest it carries. */
  qemuBoardImage: string;
  qemuGuestImage: string;
  /** The desk's signing key pair (`deskbox keys init` writes the same files). */
  keysDir: string;
  privateKey: string;
  publicKey: string;
  /** The guests the desk's board image carries, unpacked once: its boards link them (host/desk/desk-carried.ts). */
  carriedStoreDir: string;
  /** RAM-backed folder for the boards' guest state (a real board's tmpfs). */
  ramDir: string;
  /** Agents the boot program unpacked from board images, one folder per image payload. */
  bootCacheDir: string;
  /** Written once the desk LAN is made or could not be (board/net/lan-ready.ts): boards boot meanwhile. */
  lanReadyFile: string;
  credential(role: 'host' | 'monitor' | 'homeassistant'): string;
  board(id: string): BoardLayout;
}

export interface BoardLayout {
  dir: string;
  configFile: string;
  passwordFile: string;
  hwmonDir: string;
  gpioDir: string;
  consoleDir: string;
  consoleLog: string;
  /** The desk computer's end of the board's serial console (like /dev/ttyUSB3): a link to the link emulator's port. */
  consolePort: string;
  /** The board's flash: A/B image slots and the boot environment. */
  flashDir: string;
  /** The board's image store, on its flash. */
  storeDir: string;
  /** Written by the boot program for the agent (RAM, like /run on a board). */
  bootInfo: string;
  /** The board's own RAM state (its guests' runtime state, like a tmpfs): lost when its power goes. */
  ramStateDir: string;
}

/** Unix socket paths are limited to ~107 bytes; deep state folders put theirs in tmp. */
function socketPath(root: string): string {
  const direct = join(root, 'control.sock');
  if (Buffer.byteLength(direct) < 100) return direct;
  return join(tmpdir(), `deskbox-${createHash('sha256').update(root).digest('hex').slice(0, 16)}.sock`);
}

export function deskLayout(stateDir: string): DeskLayout {
  const root = resolve(stateDir);
  const ramDir = join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `deskbox-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
  return {
    root,
    deskFile: join(root, 'desk.json'),
    runFile: join(root, 'run.json'),
    supervisorLog: join(root, 'supervisor.log'),
    brokerLog: join(root, 'logs', 'broker.log'),
    controlSocket: socketPath(root),
    usersFile: join(root, 'broker', 'users.json'),
    brokerStore: join(root, 'broker', 'store.db'),
    brokerPorts: join(root, 'broker', 'ports.json'),
    tls: tlsFiles(join(root, 'tls')),
    downFile: join(root, 'down.json'),
    healthDb: join(root, 'health.db'),
    knownGoodDir: join(root, 'known-good'),
    schedulesDb: join(root, 'schedules.db'),
    logsDir: join(root, 'logs'),
    imagesDir: join(root, 'images'),
    guestImage: join(root, 'images', 'busybox.dbi'),
    boardImage: join(root, 'images', 'board.dbi'),
    qemuBoardImage: join(root, 'images', 'board-armv7.dbi'),
    qemuGuestImage: join(root, 'images', 'busybox-armv7.dbi'),
    carriedStoreDir: join(root, 'images', 'carried'),
    keysDir: join(root, 'keys'),
    privateKey: join(root, 'keys', 'desk.key'),
    publicKey: join(root, 'keys', 'desk.pub'),
    ramDir,
    bootCacheDir: join(ramDir, 'boot'),
    lanReadyFile: join(ramDir, 'lan-ready.json'),
    credential: (role) => join(root, 'credentials', `${role}.password`),
    board(id) {
      const dir = join(root, 'boards', id);
      return {
        dir,
        configFile: join(dir, 'board.json'),
        passwordFile: join(dir, 'password'),
        // In RAM, as sysfs is: the power loop rewrites 490 boards' sensors every second.
        hwmonDir: join(ramDir, 'hwmon', id),
        gpioDir: join(dir, 'hw', 'gpio'),
        consoleDir: join(dir, 'console'),
        consoleLog: join(dir, 'console.log'),
        consolePort: join(dir, 'console', 'port'),
        flashDir: join(dir, 'hw', 'flash'),
        storeDir: join(dir, 'hw', 'flash', 'store'),
        bootInfo: join(ramDir, 'boot-info', `${id}.json`),
        ramStateDir: join(ramDir, id),
      };
    },
  };
}

export const DEFAULT_STATE_DIR = '.desk';

/** Board ids sort and read well at any desk size: b01..b08, b001..b490. */
export function boardIds(count: number, prefix = 'b'): string[] {
  const width = Math.max(2, String(count).length);
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);
}
