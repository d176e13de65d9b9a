/**
 * `deskbox schedule add [options] <cron> [--] <command...>`: the scheduled command may use
 * options `schedule add` has too (`--state`, `--json`). Without `--`, the command line parser
 * takes them as `add`'s own wherever they stand, and the schedule would run another command
 * than the one typed; with `--`, everything after it is the command's. This finds the options
 * that would be taken from the command, so `add` refuses rather than store the wrong one.
 */

export interface OwnOption {
  /** `--state` */
  long: string;
  /** Whether it takes a value (`--state <dir>`): the next word is then its value. */
  takesValue: boolean;
}

export class ScheduleArgsError extends Error {
  /** A usage error: the CLI exits 2 (host/cli/run.ts). */
  readonly exitCode = 2;

  constructor(readonly options: string[]) {
    super(`${options.join(', ')} after the cron expression would be taken as schedule add's own, not the command's: `
      + `put schedule add's options before the cron expression and the command after \`--\`, e.g. `
      + `schedule add --state .desk '0 2 * * *' -- ${options.includes('--json') ? 'health --json' : 'run plans/nightly.yaml --state other'}`);
    this.name = 'ScheduleArgsError';
  }
}

/** `add`'s own options standing after its first operand (the cron expression) and before any `--`. */
export function ownOptionsAfterCron(words: readonly string[], own: readonly OwnOption[]): string[] {
  const found: string[] = [];
  let pastCron = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--') break;
    const option = own.find((o) => word === o.long || word.startsWith(`${o.long}=`));
    if (option) {
      if (pastCron) found.push(option.long);
      if (option.takesValue && word === option.long) i++;
    } else if (!word.startsWith('-')) {
      pastCron = true;
    }
  }
  return found;
}
