/**
 * `deskbox dashboard`: serves the web dashboard for a simulated desk (`--state`), a real desk
 * (`--desk-file`, with /metrics) or a real desk's broker (`--broker ws://...`) until Ctrl-C. The page logs in to the broker with the
 * user's own credentials; this command needs none.
 */
import type { Command } from 'commander';
import { isValidId } from '../../broker/contract/topics.ts';
import { stderrLogger } from '../../platform/log.ts';
import { startDashboard } from '../dashboard/server.ts';
import { startDeskServices } from '../dashboard/desk-services.ts';
import { resolveAccess } from '../client/access.ts';
import { deskTarget, simulatedDeskFlash, type DeskTarget } from '../dashboard/target.ts';
import { deskLayout } from '../locations/layout.ts';
import { readDeskFile } from '../locations/desk-file.ts';
import { deskFileOption, portNumber, stateOption } from './options.ts';
import { loadDeskYaml } from '../locations/desk-yaml.ts';
import { action, invokedAs, printJson } from './run.ts';

/** `urls`: the broker's WebSocket URL, or a cluster's nodes'. */
function realDesk(urls: string[], desk: string): DeskTarget {
  const bad = urls.find((u) => !/^wss?:\/\//.test(u));
  if (urls.length === 0 || bad !== undefined) throw new Error(`--broker must be the broker's WebSocket URL (ws://host:port/mqtt), or a cluster's, comma-separated; got "${bad ?? ''}"`);
  if (!isValidId(desk)) throw new Error(`--desk: invalid desk id "${desk}"`);
  return { desk, broker: { urls } };
}

export function registerDashboard(program: Command): void {
  stateOption(program.command('dashboard'))
    .description('serve the web dashboard: every board live, and commands sent as the logged-in broker user (Ctrl-C to quit)')
    .option('--broker <ws-url>', 'a real desk\'s broker WebSocket URL (ws://host:port/mqtt; a cluster\'s nodes comma-separated) instead of a simulated desk')
    .option('--desk <id>', 'desk id on that broker', 'desk1')
    .option(...deskFileOption())
    .option('--host <addr>', 'interface the dashboard listens on', '127.0.0.1')
    .option('--port <port>', 'dashboard HTTP port (0: any free port)', portNumber, 0)
    .option('--home-assistant', 'also publish Home Assistant MQTT discovery for the boards (simulated desk; else: deskbox metrics)')
    .option('--json', 'print {url} as JSON once listening')
    .action(action(async (o) => {
      const logger = stderrLogger('dashboard', 'warn');
      const real = o.deskFile && !o.broker ? await loadDeskYaml(o.deskFile) : undefined;
      if (real && !real.broker.ws) throw new Error(`${real.file}: the dashboard needs broker.ws, the broker's WebSocket URL (wss://host:8084/mqtt)`);
      const target = o.broker ? realDesk(o.broker.split(',').map((u: string) => u.trim()).filter(Boolean), o.desk) : real ? realDesk([real.broker.ws!].flat(), real.desk) : await deskTarget(o.state, invokedAs());
      if (o.broker && o.homeAssistant) throw new Error('--home-assistant needs the broker\'s MQTT address and a host password: use deskbox metrics --broker mqtt://... --home-assistant');
      // /metrics for a simulated desk, whose credentials are at hand; a real desk's: deskbox metrics.
      const services = o.broker ? undefined : await startDeskServices(await resolveAccess({ state: o.state, deskFile: real?.file }, o.homeAssistant ? 'host' : 'monitor'), { homeAssistant: Boolean(o.homeAssistant), logger });
      // Reflash from the page runs `deskbox flash` as a child: this very entry point.
      const layout = deskLayout(o.state);
      const flash = o.broker || real ? undefined : simulatedDeskFlash(layout, await readDeskFile(layout), process.argv[1]!, logger.child('flash'), target.users);
      const dashboard = await startDashboard({ ...target, host: o.host, port: o.port, logger, flash, ...(services ? { metrics: services.metrics } : {}) }).catch(async (err: Error) => {
        await services?.close();
        throw err;
      });
      services?.announce(dashboard.url);
      if (o.json) printJson({ url: dashboard.url });
      else process.stdout.write(`dashboard for desk ${target.desk}: ${dashboard.url}  (log in as monitor to watch, host to command; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await dashboard.close();
      await services?.close();
    }));
}
