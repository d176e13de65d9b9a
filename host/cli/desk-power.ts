/**
 * `deskbox desk power <boards> <action>`: switch boards through the simulated desk's switch or
 * a real desk's outlets. `<boards>` is a board set (`b03`, `b01-b08`, `tag:rack2`, `all`), so a
 * schedule can put a rack to sleep at night: boards out of service are switched too (power is
 * not an experiment). Each board is switched in turn, and one that fails does not stop the rest.
 */
import type { Command } from 'commander';
import { resolveAccess } from '../client/access.ts';
import { resolveBoardSet } from '../client/board-set.ts';
import { readDeskFile } from '../locations/desk-file.ts';
import { loadDeskYaml } from '../locations/desk-yaml.ts';
import { deskLayout } from '../locations/layout.ts';
import { openSwitchboard } from '../real-desk/switchboard.ts';
import { deskFileOption, stateOption } from './options.ts';
import { action, printJson } from './run.ts';

const ACTIONS = ['on', 'off', 'cycle', 'state'] as const;
type Action = (typeof ACTIONS)[number];

interface Switched { board: string; outlet?: string; state?: string; error?: string }

export function registerDeskPower(desk: Command): void {
  stateOption(desk.command('power'))
    .description('switch boards\' power: the simulated desk\'s switch (boards sharing a process switch together), or a real desk\'s outlets (--desk-file)')
    .argument('<boards>', 'a board set: b03, b01-b08, tag:rack2, all')
    .argument('<action>', ACTIONS.join(' | '))
    .option(...deskFileOption())
    .option('--json', 'print JSON: { ok, action, results: [{ board, outlet, state } | { board, error }] }')
    .action(action(async (spec: string, act: string, o: { state: string; deskFile?: string; json?: boolean }) => {
      if (!(ACTIONS as readonly string[]).includes(act)) throw new Error(`unknown power action "${act}" (${ACTIONS.join(', ')})`);
      // The desk file's tags, or the simulated desk's desk.json's (what its boards' statuses carry).
      const access = await resolveAccess({ state: o.state, deskFile: o.deskFile }, 'host');
      const tags = o.deskFile ? access.tags ?? {} : (await readDeskFile(deskLayout(o.state))).tags;
      const boards = resolveBoardSet(spec, access.boards, (b) => tags[b] ?? []);
      const power = await openSwitchboard(o.deskFile ? await loadDeskYaml(o.deskFile) : undefined, { state: o.state, say: (l) => process.stderr.write(`${l}\n`) });
      const results: Switched[] = [];
      try {
        for (const board of boards) {
          const outlet = power.outletOf(board);
          if (!outlet) {
            results.push({ board, error: `no power outlet${o.deskFile ? ` in ${o.deskFile}` : ` on the desk in ${deskLayout(o.state).root}`}` });
            continue;
          }
          try {
            if (act !== 'state') await outlet[act as Exclude<Action, 'state'>]();
            results.push({ board, outlet: outlet.description, state: await outlet.state() });
          } catch (e) {
            results.push({ board, outlet: outlet.description, error: (e as Error).message });
          }
        }
      } finally {
        await power.close();
      }
      const ok = results.every((r) => r.error === undefined);
      if (o.json) printJson({ ok, action: act, results });
      else for (const r of results) process.stdout.write(r.error ? `${r.board}: ${r.error}\n` : `${r.board}: power ${r.state} (${r.outlet})\n`);
      if (!ok) process.exitCode = 1;
    }));
}
