/**
 * `deskbox desk consoles`: every console of a real desk held open and logged until Ctrl-C, so
 * what boards print between commands (a crash, a reboot at night) is not lost. Adapters that go
 * are reopened with backoff and the gap is written in the board's log; one missing at the start
 * is waited for while the others are logged.
 */
import type { Command } from 'commander';
import { resolveBoardSet } from '../client/board-set.ts';
import { openConsoleKeeper, type ConsoleEvent, type ConsoleKeeper } from '../console/keeper.ts';
import { boardConsoleLogPath } from '../flash/console-log.ts';
import { loadDeskYaml } from '../locations/desk-yaml.ts';
import { resolveConsoles } from '../real-desk/console-paths.ts';
import { defaultAdapterSources, listAdapters } from '../real-desk/adapters.ts';
import { stateOption } from './options.ts';
import { action } from './run.ts';

export function registerDeskConsoles(desk: Command): void {
  stateOption(desk.command('consoles'))
    .description('keep every console of a real desk open and logged (<state>/consoles/<board>.log) until Ctrl-C; adapters that come and go are reopened')
    .requiredOption('--desk-file <file>', 'the desk file (or set DESKBOX_DESK_FILE)', process.env.DESKBOX_DESK_FILE)
    .option('--boards <set>', 'only these boards', 'all')
    .option('--json', 'one JSON line per event instead of text')
    .addHelpText('after', '\nA console held here cannot be flashed or attached to meanwhile: stop this first (Ctrl-C).')
    .action(action(async (o) => {
      const real = await loadDeskYaml(o.deskFile);
      const boards = resolveBoardSet(o.boards, Object.keys(real.boards), (b) => real.boards[b]?.tags ?? []);
      const consoles = await resolveConsoles(real, async () => (await listAdapters(defaultAdapterSources())).adapters, boards);
      const say = (board: string, e: ConsoleEvent | { kind: 'problem'; reason: string }) => process.stdout.write(o.json
        ? `${JSON.stringify({ board, ...e })}\n`
        : `${board}: ${e.kind}${'gapMs' in e && e.gapMs !== undefined ? ` after ${(e.gapMs / 1000).toFixed(1)} s` : ''}${e.reason ? ` (${e.reason})` : ''}\n`);
      const keepers: ConsoleKeeper[] = [];
      for (const c of consoles) {
        // Without a path (an unknown serial number) there is nothing to wait for; a path that
        // leads nowhere yet is waited for like an unplugged adapter.
        if (!c.path) { say(c.board, { kind: 'problem', reason: c.problem ?? 'no console' }); continue; }
        keepers.push(await openConsoleKeeper({ path: c.path, baud: c.baud, label: c.board, logFile: boardConsoleLogPath(o.state, c.board), onEvent: (e) => say(c.board, e) }));
      }
      if (!o.json) process.stderr.write(`keeping ${keepers.length} console(s), logs in ${boardConsoleLogPath(o.state, '<board>')}; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await Promise.all(keepers.map((k) => k.close()));
    }));
}
