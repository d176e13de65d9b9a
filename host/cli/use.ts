/**
 * `deskbox use <state folder | desk file | broker url>`: which desk every later command works
 * with, saved (host/locations/desk-context.ts), so they stop repeating --state. `deskbox use`
 * alone says which one that is and where it came from; `--clear` forgets it.
 */
import type { Command } from 'commander';
import { rm } from 'node:fs/promises';
import { contextFile, contextFor, readContext, saveContext, type DeskContext } from '../locations/desk-context.ts';
import { loadDeskYaml } from '../locations/desk-yaml.ts';
import { action, printJson } from './run.ts';

interface UseOptions {
  desk?: string;
  ca?: string;
  passwordFile?: string;
  clear?: boolean;
  json?: boolean;
}

const describe = (c: DeskContext) => (c.state ? `the simulated desk in ${c.state}`
  : c.deskFile ? `the real desk of ${c.deskFile}`
  : `the broker ${c.broker}${c.desk ? ` (desk ${c.desk})` : ''}`);

export function registerUse(program: Command): void {
  program.command('use')
    .description('save which desk later commands work with, so they need no --state (or --desk-file, --broker)')
    .argument('[target]', 'a simulated desk\'s state folder, a real desk\'s desk file (.yaml), or a broker URL (mqtts://host:8883)')
    .option('--desk <id>', 'with a broker URL: the desk id on it')
    .option('--ca <file>', 'with an mqtts:// broker URL: the CA certificate its certificate must verify against')
    .option('--password-file <file>', 'with a broker URL: the file holding the password')
    .option('--clear', 'forget the saved desk: commands use .desk in the current folder again')
    .option('--json', 'print the saved context as JSON')
    .addHelpText('after', '\nCommand line options win over the environment (DESKBOX_STATE, DESKBOX_DESK_FILE, DESKBOX_BROKER,\nDESKBOX_DESK, DESKBOX_CA, DESKBOX_PASSWORD_FILE), which wins over what is saved here.\nSaved in $DESKBOX_CONTEXT, else $XDG_CONFIG_HOME/deskbox/context.json, else ~/.config/deskbox/context.json.\n\nExamples:\n  deskbox use ~/lab/.desk\n  deskbox use lab.yaml\n  deskbox use mqtts://desk.lab:8883 --desk lab1 --ca ca.pem --password-file host.password\n  deskbox use --clear')
    .action(action(async (target: string | undefined, o: UseOptions) => {
      const file = contextFile();
      if (o.clear) {
        if (target !== undefined) throw new Error('give a target or --clear, not both');
        await rm(file, { force: true });
        if (o.json) printJson({ ok: true, file, context: null });
        else process.stdout.write(`no desk saved (${file} removed): commands use .desk here unless told otherwise\n`);
        return;
      }
      if (target === undefined) {
        const saved = readContext();
        if (o.json) printJson({ ok: true, file, context: saved ?? null });
        else process.stdout.write(saved ? `using ${describe(saved)} (saved in ${file})\n` : `no desk saved (${file}): commands use .desk here unless told otherwise\n`);
        return;
      }
      const context = contextFor(target, process.cwd(), { desk: o.desk, ca: o.ca, passwordFile: o.passwordFile });
      // A desk file that does not load would fail every later command: say so now.
      if (context.deskFile) await loadDeskYaml(context.deskFile);
      await saveContext(context);
      if (o.json) printJson({ ok: true, file, context });
      else process.stdout.write(`using ${describe(context)} from now on (saved in ${file})\n`);
    }));
}
