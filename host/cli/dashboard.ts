/**
 * `deskbox dashboard`: serves the web dashboard for a simulated desk (`--state`) or a real
 * desk's broker (`--broker ws://...`) until Ctrl-C. The page logs in to the broker with the
 * user's own credentials; this command needs none.
 */
import type { Command } from 'commander';
import { isValidId } from '../../broker/contract/topics.ts';
import { stderrLogger } from '../../board/runtime/log.ts';
import { startDashboard } from '../dashboard/server.ts';
import { deskTarget, type DeskTarget } from '../dashboard/target.ts';
import { stateOption } from './options.ts';
import { action, invokedAs, printJson } from './run.ts';

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port: "${value}"`);
  return n;
};

function realDesk(wsUrl: string, desk: string): DeskTarget {
  if (!/^wss?:\/\//.test(wsUrl)) throw new Error(`--broker must be the broker's WebSocket URL (ws://host:port/mqtt), got "${wsUrl}"`);
  if (!isValidId(desk)) throw new Error(`--desk: invalid desk id "${desk}"`);
  return { desk, wsUrl };
}

export function registerDashboard(program: Command): void {
  stateOption(program.command('dashboard'))
    .description('serve the web dashboard: every board live, and commands sent as the logged-in broker user (Ctrl-C to quit)')
    .option('--broker <ws-url>', 'a real desk\'s broker WebSocket URL (ws://host:port/mqtt) instead of a simulated desk')
    .option('--desk <id>', 'desk id on that broker', 'desk1')
    .option('--host <addr>', 'interface the dashboard listens on', '127.0.0.1')
    .option('--port <port>', 'dashboard HTTP port (0: any free port)', port, 0)
    .option('--json', 'print {url} as JSON once listening')
    .action(action(async (o) => {
      const target = o.broker ? realDesk(o.broker, o.desk) : await deskTarget(o.state, invokedAs());
      const dashboard = await startDashboard({ ...target, host: o.host, port: o.port, logger: stderrLogger('dashboard', 'warn') });
      if (o.json) printJson({ url: dashboard.url });
      else process.stdout.write(`dashboard for desk ${target.desk}: ${dashboard.url}  (log in as monitor to watch, host to command; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await dashboard.close();
    }));
}
