/**
 * `board-boot.mjs install` options: parsed with node:util (the boot program carries no CLI
 * library) and checked before anything is read or written, so bad input costs nothing.
 */
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isValidId } from '../../broker/contract/topics.ts';
import { BOARD_PATHS } from './board-paths.ts';

/** Bad input or a failed check: one line for the user, exit code 1. */
export class InstallError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'InstallError';
  }
}

export const DEFAULT_CONSOLE = '/dev/ttyS0';

export interface InstallOptions {
  /** Files read on the machine running the installer. */
  image: string;
  trust: string[];
  ca?: string;
  board: string;
  desk: string;
  broker: string;
  username: string;
  /** Paths as the board sees them (absolute), written into the config and the unit. */
  passwordFile: string;
  node?: string;
  boardType?: string;
  console: string;
  root: string;
  force: boolean;
}

export const USAGE = `usage: board-boot.mjs install --image <board.dbi> --trust <desk.pub> --board <id> --desk <id> --broker <url> [options]

Installs deskbox on this Debian board (run as root): the image into flash slot a, this boot
program, an explained config (${BOARD_PATHS.config}) and the systemd unit.

  --image <board.dbi>     the board image for slot a; checked whole (signature, hashes, board type) first. Required.
  --trust <key>           a public key the board trusts: a file (the desk's .desk/keys/desk.pub) or "ed25519:<base64>".
                          Repeatable; at least one is required.
  --board <id>            this board's id on the desk (b07). Required.
  --desk <id>             the desk's id, as in its MQTT topics (deskbox/<desk>/...). Required.
  --broker <url>          the desk broker: mqtt://host:1883 or mqtts://host:8883. Required.
  --username <name>       broker user (default: the board id).
  --password-file <path>  file holding the broker password (default: ${BOARD_PATHS.passwordFile}); created empty,
                          mode 0600, when absent: write the password there. Never printed.
  --ca <file>             CA certificate (PEM) of an mqtts:// broker; copied to ${BOARD_PATHS.caFile}.
  --board-type <type>     the board type images must name (default: the image's own).
  --console <dev>         serial console the agent talks on, 115200 baud (default: ${DEFAULT_CONSOLE}, the first
                          UART of BeagleBone and Allwinner boards; Raspberry Pi: /dev/ttyAMA0; "" for none).
  --node <path>           the Node that runs the boot program (default: ${BOARD_PATHS.node}, copied from the
                          payload when it carries runtime/node, else the Node running this installer).
  --root <dir>            write everything under this folder, like DESTDIR (default: /); the paths
                          inside the written files stay the board's own.
  --force                 replace an existing ${BOARD_PATHS.config} (kept otherwise).
  -h, --help              this text.
`;

/** Undefined for --help. */
export function parseInstallOptions(args: string[]): InstallOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        image: { type: 'string' }, trust: { type: 'string', multiple: true }, board: { type: 'string' }, desk: { type: 'string' },
        broker: { type: 'string' }, username: { type: 'string' }, 'password-file': { type: 'string' }, ca: { type: 'string' },
        'board-type': { type: 'string' }, console: { type: 'string' }, node: { type: 'string' }, root: { type: 'string' },
        force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new InstallError(`${(e as Error).message} (see --help)`);
  }
  if (values.help) return undefined;
  const required = (name: 'image' | 'board' | 'desk' | 'broker') => {
    const value = values[name];
    if (!value) throw new InstallError(`--${name} is required (see --help)`);
    return value;
  };
  const image = required('image');
  if (!values.trust?.length) throw new InstallError('--trust is required: the public key of the desk that signs the images (.desk/keys/desk.pub)');
  const [board, desk, broker] = [required('board'), required('desk'), required('broker')];
  for (const [name, value] of [['board', board], ['desk', desk], ['board-type', values['board-type']]] as const) {
    if (value !== undefined && !isValidId(value)) throw new InstallError(`--${name} "${value}": must be 1-63 of A-Z a-z 0-9 _ . - starting alphanumeric`);
  }
  if (!/^mqtts?:\/\/[^/]+/.test(broker)) throw new InstallError(`--broker "${broker}": must be an mqtt://host:port or mqtts://host:port URL`);
  if (values.ca !== undefined && !broker.startsWith('mqtts://')) throw new InstallError('--ca is for mqtts:// brokers only');
  const passwordFile = values['password-file'] ?? BOARD_PATHS.passwordFile;
  for (const [name, value] of [['password-file', passwordFile], ['node', values.node]] as const) {
    if (value !== undefined && !isAbsolute(value)) throw new InstallError(`--${name} "${value}": must be an absolute path, as the board sees it`);
  }
  return {
    image: resolve(image), trust: values.trust, ...(values.ca !== undefined ? { ca: resolve(values.ca) } : {}),
    board, desk, broker, username: values.username ?? board, passwordFile,
    ...(values.node !== undefined ? { node: values.node } : {}),
    ...(values['board-type'] !== undefined ? { boardType: values['board-type'] } : {}),
    console: values.console ?? DEFAULT_CONSOLE, root: resolve(values.root ?? '/'), force: values.force ?? false,
  };
}
