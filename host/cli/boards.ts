/** `deskbox boards`: one table of every board's state, power, energy and uptime. */
import type { Command } from 'commander';
import { allBoardsFilter } from '../../broker/contract/topics.ts';
import { resolveAccess } from '../client/access.ts';
import { createBoardView } from '../client/board-view.ts';
import { connectToDesk, settle } from '../client/connect.ts';
import { accessOptions, type AccessOptions } from './options.ts';
import { action, printJson } from './run.ts';
import { boardTable, deskTotals } from './format.ts';

export function registerBoards(program: Command): void {
  accessOptions(program.command('boards'))
    .description('list the desk\'s boards with state, power (W), energy (J) and uptime')
    .option('--json', 'print JSON for scripts')
    .action(action(async (opts: AccessOptions & { json?: boolean }) => {
      const access = await resolveAccess(opts, 'monitor');
      const client = await connectToDesk(access, 'boards');
      try {
        const view = createBoardView(access.desk);
        client.on('message', (t, p, packet) => view.apply(t, p, packet.retain));
        await client.subscribeAsync([allBoardsFilter(access.desk, 'status'), allBoardsFilter(access.desk, 'telemetry')], { qos: 1 });
        // Power comes with telemetry: an online board's row waits for its sample, not only its status.
        const all = () => access.boards.length > 0 && access.boards.every((b) => view.complete(b));
        await settle(client, { quietMs: 300, deadlineMs: 3000, until: all });
        const rows = view.rows(access.boards);
        if (opts.json) printJson({ desk: access.desk, boards: rows, rejected: view.rejected() });
        else process.stdout.write(`${boardTable(rows)}\n${access.desk}: ${deskTotals(rows, view.rejected())}\n`);
      } finally {
        await client.endAsync();
      }
    }));
}
