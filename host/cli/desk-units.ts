/**
 * `deskbox desk units`: a real desk's systemd services (host/real-desk/systemd-units.ts), with
 * this Node and this deskbox, printed or written to a folder (/etc/systemd/system).
 */
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { DeskStateError } from '../locations/desk-file.ts';
import { loadDeskYaml } from '../locations/desk-yaml.ts';
import { deskUnits } from '../real-desk/systemd-units.ts';
import { deskFileOption, stateOption } from './options.ts';
import { action, printJson } from './run.ts';

export function registerDeskUnits(desk: Command): void {
  stateOption(desk.command('units'))
    .description('a real desk\'s systemd services: deskbox-health (health serve) and deskbox-schedule (schedule serve)')
    .option(...deskFileOption())
    .requiredOption('--board-image <file.dbi>', 'the known-good board image the health service reflashes')
    .option('--user <name>', 'the account the services run as (one that may open the consoles, e.g. in group dialout); root if not given')
    .option('--out <dir>', 'write the units there (e.g. /etc/systemd/system) instead of printing them')
    .option('--json', 'print JSON: each unit\'s name, text and where it was written')
    .action(action(async (o: { state: string; deskFile?: string; boardImage: string; user?: string; out?: string; json?: boolean }) => {
      if (!o.deskFile) throw new DeskStateError('desk units are for a real desk: give --desk-file (or set DESKBOX_DESK_FILE)');
      // Refused now rather than by a service restarting every 5 s at night.
      const real = await loadDeskYaml(o.deskFile);
      const units = deskUnits({
        node: process.execPath, cli: resolve(process.argv[1]!), deskFile: resolve(real.file), state: resolve(o.state), boardImage: resolve(o.boardImage),
        ...(o.user && { user: o.user }),
      });
      if (o.out) await mkdir(o.out, { recursive: true });
      const written = await Promise.all(units.map(async (u) => {
        const path = o.out ? join(o.out, u.name) : undefined;
        if (path) await writeFileAtomic(path, u.text, { mode: 0o644, durable: true });
        return { ...u, ...(path && { path }) };
      }));
      if (o.json) return printJson(written);
      if (!o.out) return void process.stdout.write(written.map((u) => `# ${u.name}\n${u.text}`).join('\n'));
      for (const u of written) process.stdout.write(`${u.path}\n`);
      process.stdout.write(`then: systemctl daemon-reload && systemctl enable --now ${units.map((u) => u.name).join(' ')}\n`);
    }));
}
