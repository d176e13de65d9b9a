/** `deskbox monitor`: the boards table, redrawn live as status and telemetry arrive. */
import type { Command } from 'commander';
import { allBoardsFilter } from '../../broker/contract/topics.ts';
import { resolveAccess } from '../client/access.ts';
import { createBoardView } from '../client/board-view.ts';
import { connectToDesk } from '../client/connect.ts';
import { accessOptions, type AccessOptions } from './options.ts';
import { action } from './run.ts';
import { boardTable, deskTotals } from './format.ts';

interface MonitorOptions extends AccessOptions {
  interval: string;
  count?: string;
  json?: boolean;
}

export function registerMonitor(program: Command): void {
  accessOptions(program.command('monitor'))
    .description('watch the desk\'s boards live (Ctrl-C to quit)')
    .option('--interval <ms>', 'redraw at most this often', '500')
    .option('--count <n>', 'stop after this many redraws (for scripts)')
    .option('--json', 'one JSON line per redraw (what boards --json prints, plus the time and the link), for scripts')
    .action(action(async (opts: MonitorOptions) => {
      const access = await resolveAccess(opts, 'monitor');
      const client = await connectToDesk(access, 'monitor', undefined, { reconnect: true });
      const view = createBoardView(access.desk);
      let dirty = true;
      let draws = 0;
      const limit = opts.count ? Number(opts.count) : Infinity;
      client.on('message', (t, p, packet) => { if (view.apply(t, p, packet.retain)) dirty = true; });
      // Shown in the header: while the broker is away (restarting, say) the figures are old.
      client.on('offline', () => (dirty = true));
      client.on('connect', () => {
        // The renewed subscriptions replay the retained messages: they are the news now.
        view.newConnection();
        dirty = true;
      });
      await client.subscribeAsync([allBoardsFilter(access.desk, 'status'), allBoardsFilter(access.desk, 'telemetry')], { qos: 1 });
      await new Promise<void>((resolve) => {
        const draw = () => {
          if (!dirty) return;
          dirty = false;
          const rows = view.rows(access.boards);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ desk: access.desk, at: Date.now(), connected: client.connected, boards: rows, rejected: view.rejected() })}\n`);
          } else {
            const clear = process.stdout.isTTY ? '\x1b[H\x1b[2J' : '';
            const link = client.connected ? '' : ' - broker unreachable, reconnecting';
            process.stdout.write(`${clear}deskbox monitor - ${access.desk} at ${access.url} - ${new Date().toLocaleTimeString()}${link}\n${boardTable(rows)}\n${deskTotals(rows, view.rejected())}\n`);
          }
          if (++draws >= limit) stop();
        };
        const timer = setInterval(draw, Number(opts.interval));
        const stop = () => { clearInterval(timer); resolve(); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await client.endAsync();
    }));
}
