/**
 * A QEMU board's own files, put in place the way a real Debian board gets them: by the
 * installer its board image carries (`board-boot.mjs install --root <staging>`, run here on the
 * desk computer), so the disk holds the same slot a, boot environment, boot program, unit and
 * explained config. Two things a real board's owner edits by hand are done here: the broker
 * password, and the power sensor (QEMU's virt machine has none; the board's init writes a fixed
 * ina219 reading under /run/deskbox/hwmon); and one a real board's owner adds with a raw
 * partition for it: the inbox U-Boot's flash writes to.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { applyEdits, modify } from 'jsonc-parser/lib/esm/main.js';
import { BOARD_PATHS } from '../../board/install/board-paths.ts';
import { BOARD_BROKER_HOST } from './machine.ts';

export class QemuBoardInstallError extends Error {
  constructor(readonly board: string, detail: string) {
    super(`installing QEMU board ${board}: ${detail}`);
    this.name = 'QemuBoardInstallError';
  }
}

export interface QemuBoardIdentity {
  board: string;
  desk: string;
  /** As the board reaches it: the guest-side address QEMU forwards to the desk broker. */
  brokerUrl: string;
  password: string;
  /** The desk's public key file, or `ed25519:<base64>`. */
  trust: string;
  image: string;
  /** The CA that verifies the broker (mqtts), installed as a real board's `--ca`. */
  ca?: string;
  /** The broker's name in `brokerUrl`: mapped to the forwarded address in the board's /etc/hosts. */
  brokerName?: string;
}

/** The serial console of QEMU's virt machine (its PL011 UART). */
export const QEMU_CONSOLE = '/dev/ttyAMA0';
/** Debian's nodejs in the shared system partition. */
const BOARD_NODE = '/usr/bin/node';
const HWMON_DIR = '/run/deskbox/hwmon';
/** Partition 4 of the board's disk (disk-layout.ts): where U-Boot's flash leaves an image. */
export const INBOX_DEVICE = '/dev/vda4';

/** Writes the board's files under `staging`, at the paths the board sees them. */
export async function installQemuBoard(bootProgram: string, staging: string, id: QemuBoardIdentity): Promise<void> {
  const args = [bootProgram, 'install', '--image', id.image, '--trust', id.trust, '--board', id.board, '--desk', id.desk,
    '--broker', id.brokerUrl, '--console', QEMU_CONSOLE, '--node', BOARD_NODE, '--root', staging, ...(id.ca ? ['--ca', id.ca] : [])];
  await promisify(execFile)(process.execPath, args).catch((e: Error & { stderr?: string }) => {
    throw new QemuBoardInstallError(id.board, (e.stderr || e.message).trim());
  });
  await writeFile(join(staging, BOARD_PATHS.passwordFile), `${id.password}\n`, { mode: 0o600 });
  const configFile = join(staging, BOARD_PATHS.config);
  let text = await readFile(configFile, 'utf8');
  for (const [path, value] of [[['hardware', 'power'], HWMON_DIR], [['flash', 'inbox'], INBOX_DEVICE]] as const) {
    const edits = modify(text, [...path], value, { formattingOptions: { insertSpaces: true, tabSize: 2 } });
    if (edits.length === 0) throw new QemuBoardInstallError(id.board, `cannot set ${path.join('.')} in ${BOARD_PATHS.config}`);
    text = applyEdits(text, edits);
  }
  await writeFile(configFile, text);
  if (id.brokerName) {
    // The overlay's upper layer shadows the shared system's files; without nsswitch.conf glibc
    // would ask DNS first, which the restricted network has none of.
    await writeFile(join(staging, 'etc', 'hosts'), `127.0.0.1 localhost\n${BOARD_BROKER_HOST} ${id.brokerName}\n`);
    await writeFile(join(staging, 'etc', 'nsswitch.conf'), 'hosts: files\n');
  }
}
