/** Options shared by every subcommand that talks to a desk. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_STATE_DIR } from '../locations/layout.ts';
import type { AccessOptions } from '../client/access.ts';
import type { BoardVerdict } from '../../broker/contract/health.ts';
import { describeLeftOut } from '../client/desk-boards.ts';
import { DEFAULT_THRESHOLDS } from '../health/evidence.ts';

// Defaults come from the environment, which main.ts fills from `deskbox use`'s saved context
// where it is unset (host/locations/desk-context.ts): command line > environment > context.
export function stateOption(cmd: Command): Command {
  return cmd.option('--state <dir>', 'the simulated desk\'s state folder (or set DESKBOX_STATE, or save one: deskbox use <dir>)', process.env.DESKBOX_STATE ?? DEFAULT_STATE_DIR);
}

export function accessOptions(cmd: Command): Command {
  return stateOption(cmd)
    .option('--broker <url>', 'a real desk\'s broker (mqtts://host:8883, or mqtt://host:1883) instead of a simulated desk (or DESKBOX_BROKER, or deskbox use <url>)', process.env.DESKBOX_BROKER)
    .option('--ca <file>', 'the CA certificate (PEM) that an mqtts:// --broker\'s certificate must verify against, e.g. a desk\'s tls/ca.pem (default: DESKBOX_CA, else the system\'s CAs)', process.env.DESKBOX_CA)
    .option('--desk <id>', 'desk id on that broker (or DESKBOX_DESK)', process.env.DESKBOX_DESK ?? 'desk1')
    .option('--user <name>', 'broker user (default: the role the command needs)')
    .option('--password-file <file>', 'file holding that user\'s password (or DESKBOX_PASSWORD_FILE, or the password in DESKBOX_PASSWORD)', process.env.DESKBOX_PASSWORD_FILE)
    .option(...deskFileOption());
}

/** Board sets leave out boards the desk took out of service (host/health/) unless asked. */
export function selectionOptions(cmd: Command): Command {
  return cmd.option('--include-quarantined', 'also boards the desk has taken out of service (quarantined, recovering, retired)');
}

/**
 * Boards are picked one way everywhere, `--boards <set>`. Spellings that picked them before
 * (`--board b03`, `--all`, flash's `--desk` switch) are refused with the one to use, exit 2,
 * rather than commander's bare "unknown option"; `retired`: option name -> what to write now.
 */
export function retiredBoardOptions(cmd: Command, extra: Record<string, string> = {}): Command {
  const retired: Record<string, string> = {
    board: '--boards <ids> (b03, b01,b02, ranges b01-b04, tag:<name>)',
    all: '--boards all',
    ...extra,
  };
  // Hidden, and taking an optional value, so `--board b03` and a bare `--all` both reach the hook.
  for (const name of Object.keys(retired)) cmd.addOption(new Option(`--${name} [value]`).hideHelp());
  return cmd.hook('preAction', (self) => {
    const o = self.opts();
    for (const [name, instead] of Object.entries(retired)) {
      if (o[name] !== undefined) self.error(`error: ${commandPath(self)} --${name} is gone: use ${instead}`, { exitCode: 2, code: 'deskbox.retiredOption' });
    }
  });
}

/** `guests start` for guests' start subcommand: the words a user typed after `deskbox`. */
export function commandPath(cmd: Command): string {
  const words: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

/** One line on stderr naming the boards a board set left out, and why. */
export function sayLeftOut(leftOut: readonly BoardVerdict[]): void {
  if (leftOut.length > 0) process.stderr.write(`left out, out of service: ${describeLeftOut(leftOut)} (--include-quarantined includes them)\n`);
}

/** A real desk by its desk file (docs/real-desk.md), instead of a simulated desk's state folder. */
export const deskFileOption = () => ['--desk-file <file>', 'a real desk\'s desk file (YAML: its broker, boards, consoles, outlets; or set DESKBOX_DESK_FILE, or deskbox use <file>)', process.env.DESKBOX_DESK_FILE] as const;

export type { AccessOptions };

// Parsers throw commander's InvalidArgumentError: commander then prints one usage line naming
// the option and exits, where a plain Error would escape as a stack trace.

/** Parses an integer option of at least `min`. */
export const integer = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return n;
};

/** Parses a TCP port option (0: any free port). */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port (0-65535)');
  return n;
}

const THRESHOLDS = Object.keys(DEFAULT_THRESHOLDS);

function thresholdOption(value: string, previous: Record<string, number>): Record<string, number> {
  const m = /^([A-Za-z]+)=([0-9.]+)$/.exec(value);
  if (!m || !THRESHOLDS.includes(m[1]!) || !Number.isFinite(Number(m[2]))) throw new InvalidArgumentError(`wants <name>=<number>, name one of ${THRESHOLDS.join(', ')}`);
  return { ...previous, [m[1]!]: Number(m[2]) };
}

/** `--health-threshold name=value`, repeatable: the desk's health policy (`desk up`, `health serve`). */
export const healthThresholdOption = ['--health-threshold <name=value>', `a threshold of the desk's health policy (repeatable): ${THRESHOLDS.join(', ')} (docs/health.md)`, thresholdOption, {}] as const;
