/**
 * `deskbox metrics`: serves the desk's Prometheus metrics on `/metrics` until Ctrl-C, and with
 * `--home-assistant` keeps Home Assistant discovery configs published for every board. For
 * users without the dashboard; the metrics need the monitor role, discovery the host role.
 */
import type { Command } from 'commander';
import type { MqttClient } from 'mqtt';
import { stderrLogger } from '../../board/runtime/log.ts';
import { resolveAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { createDeskMetrics } from '../metrics/desk-metrics.ts';
import { serveMetrics } from '../metrics/server.ts';
import { startHomeAssistantDiscovery } from '../homeassistant/publisher.ts';
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
      const client = await connectToDesk(access, 'metrics');
      try {
        if (o.removeHomeAssistant) {
          const removed = await removeHomeAssistantDiscovery({ client, desk: access.desk });
          if (o.json) printJson({ removed });
          else process.stdout.write(`removed ${removed.length} Home Assistant discovery configs of desk ${access.desk}\n`);
          return;
        }
        await serve(client, access.desk, access.boards, o);
      } finally {
        await client.endAsync();
      }
    }));
}

async function serve(client: MqttClient, desk: string, boards: string[], o: MetricsOptions): Promise<void> {
  const logger = stderrLogger('metrics');
  const metrics = await createDeskMetrics({ client, desk, boards });
  const discovery = o.homeAssistant ? startHomeAssistantDiscovery({ client, desk, logger }) : undefined;
  const server = await serveMetrics(metrics, { host: o.host, port: o.port });
  if (o.json) printJson({ url: server.url });
  else process.stdout.write(`metrics of desk ${desk}: ${server.url}${discovery ? ' (publishing Home Assistant discovery)' : ''}  (Ctrl-C to stop)\n`);
  const ended = await new Promise<'signal' | 'lost'>((resolve) => {
    const bySignal = () => resolve('signal');
    process.once('SIGINT', bySignal);
    process.once('SIGTERM', bySignal);
    // Figures would silently freeze without the broker: better no target than a stale one.
    client.once('close', () => resolve('lost'));
  });
  await server.close();
  await discovery?.stop();
  await metrics.close();
  if (ended === 'lost') throw new Error(`lost the connection to the desk broker of ${desk}`);
}
