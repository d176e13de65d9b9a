/**
 * `deskbox metrics`: serves the desk's Prometheus metrics on `/metrics` until Ctrl-C, and with
 * `--home-assistant` keeps Home Assistant discovery configs published for every board. For
 * users without the dashboard; the metrics need the monitor role, discovery the host role.
 */
import type { Command } from 'commander';
import { stderrLogger } from '../../platform/log.ts';
import { resolveAccess, type DeskAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { serveMetrics } from '../metrics/server.ts';
import { startDeskServices } from '../dashboard/desk-services.ts';
import { removeHomeAssistantDiscovery } from '../homeassistant/remove.ts';
import { accessOptions, portNumber, type AccessOptions } from './options.ts';
import { action, printJson } from './run.ts';

interface MetricsOptions extends AccessOptions {
  host: string;
  port: number;
  homeAssistant?: boolean;
  removeHomeAssistant?: boolean;
  json?: boolean;
}

export function registerMetrics(program: Command): void {
  accessOptions(program.command('metrics'))
    .description('serve the desk\'s Prometheus metrics on /metrics (Ctrl-C to stop); docs/metrics.md')
    .option('--host <addr>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'HTTP port (0: any free port)', portNumber, 9464)
    .option('--home-assistant', 'also publish Home Assistant MQTT discovery for every board (host role)')
    .option('--remove-home-assistant', 'remove this desk\'s Home Assistant discovery configs from the broker, then exit')
    .option('--json', 'print {url} (or the removed topics) as JSON')
    .action(action(async (o: MetricsOptions) => {
      if (o.homeAssistant && o.removeHomeAssistant) throw new Error('--home-assistant and --remove-home-assistant exclude each other');
      const access = await resolveAccess(o, o.homeAssistant || o.removeHomeAssistant ? 'host' : 'monitor');
      if (o.removeHomeAssistant) return await removeDiscovery(access, o.json);
      await serve(access, o);
    }));
}

async function removeDiscovery(access: DeskAccess, json: boolean | undefined): Promise<void> {
  const client = await connectToDesk(access, 'metrics');
  try {
    const removed = await removeHomeAssistantDiscovery({ client, desk: access.desk });
    if (json) printJson({ removed });
    else process.stdout.write(`removed ${removed.length} Home Assistant discovery configs of desk ${access.desk}\n`);
  } finally {
    await client.endAsync();
  }
}

async function serve(access: DeskAccess, o: MetricsOptions): Promise<void> {
  const services = await startDeskServices(access, { homeAssistant: Boolean(o.homeAssistant), logger: stderrLogger('metrics'), purpose: 'metrics' });
  services.announce();
  const server = await serveMetrics(services.metrics, { host: o.host, port: o.port }).catch(async (err: Error) => {
    await services.close();
    throw err;
  });
  if (o.json) printJson({ url: server.url });
  else process.stdout.write(`metrics of desk ${access.desk}: ${server.url}${services.homeAssistant ? ' (publishing Home Assistant discovery)' : ''}  (Ctrl-C to stop)\n`);
  // The services reconnect after a broker restart; only a signal ends this.
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  await services.close();
}
