/**
 * The dashboard a simulated desk serves from its supervisor (`desk up` prints its address):
 * the page, `/metrics`, the flash API, and Home Assistant discovery when the desk was made with it.
 */
import type { Logger } from '../../platform/log.ts';
import { simulatedDeskAccess } from '../client/access.ts';
import { startDashboard, type Dashboard } from '../dashboard/server.ts';
import { simulatedDeskFlash, simulatedDeskTarget } from '../dashboard/target.ts';
import { startDeskServices } from '../dashboard/desk-services.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import type { BrokerPorts } from '../locations/broker-urls.ts';

/** `nodes`: a cluster's, node 0 first (the page and /metrics fail over between them). */
export type DeskBrokerPorts = { host: string; nodes?: BrokerPorts[] } & BrokerPorts;

/** How to run deskbox: `entry` for child processes, `hint` for commands shown to the user. */
export interface DeskCli {
  entry: string;
  hint: string;
}

/** Undefined when the desk was made without a dashboard (or its broker has no WebSocket). */
export async function serveDeskDashboard(layout: DeskLayout, desk: DeskFile, broker: DeskBrokerPorts, cli: DeskCli, logger: Logger): Promise<Dashboard | undefined> {
  if (desk.dashboardPort === null || (broker.wsPort === null && broker.wssPort === null)) return undefined;
  const access = await simulatedDeskAccess(layout, desk, broker, desk.homeAssistant ? 'host' : 'monitor');
  const services = await startDeskServices(access, { homeAssistant: desk.homeAssistant, logger });
  try {
    const target = simulatedDeskTarget(layout, desk, broker, cli.hint);
    const dashboard = await startDashboard({
      ...target, host: broker.host, port: desk.dashboardPort, metrics: services.metrics, logger,
      flash: simulatedDeskFlash(layout, desk, cli.entry, logger.child('flash'), target.users),
    });
    services.announce(dashboard.url);
    return {
      url: dashboard.url,
      async close() {
        await dashboard.close();
        await services.close();
      },
    };
  } catch (err) {
    await services.close();
    throw err;
  }
}
