/**
 * What the host serves beside the dashboard page: Prometheus `/metrics` from the desk's
 * messages and, when asked, Home Assistant discovery. One broker connection for both: the
 * monitor role reads everything; discovery needs the host role to publish its configs.
 */
import type { Logger } from '../../platform/log.ts';
import type { DeskAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { createDeskMetrics } from '../metrics/desk-metrics.ts';
import { startHomeAssistantDiscovery } from '../homeassistant/publisher.ts';
import type { MetricsSource } from './server.ts';

/** The figures asked for while the broker connection is down would be old ones. */
export class BrokerAwayError extends Error {
  constructor(readonly url: string) {
    super(`not connected to the desk broker at ${url} (reconnecting): the figures would be stale`);
    this.name = 'BrokerAwayError';
  }
}

export interface DeskServices {
  metrics: MetricsSource;
  homeAssistant: boolean;
  close(): Promise<void>;
}

/** `access` must be for the host role when `homeAssistant` is set. */
export async function startDeskServices(access: DeskAccess, opts: { homeAssistant: boolean; logger: Logger; purpose?: string }): Promise<DeskServices> {
  // Reconnecting, so the figures do not freeze for good when the desk broker is restarted.
  const client = await connectToDesk(access, opts.purpose ?? 'dashboard', undefined, { reconnect: true });
  try {
    const metrics = await createDeskMetrics({ client, desk: access.desk, boards: access.boards });
    const discovery = opts.homeAssistant ? startHomeAssistantDiscovery({ client, desk: access.desk, logger: opts.logger.child('homeassistant') }) : undefined;
    return {
      // Refused while the broker is away, so a scrape fails (Prometheus' `up` 0) instead of serving figures that stand still.
      metrics: { contentType: metrics.contentType, render: () => (client.connected ? metrics.render() : Promise.reject(new BrokerAwayError(access.url))) },
      homeAssistant: discovery !== undefined,
      async close() {
        // Discovery configs stay retained: the boards stay in Home Assistant until removed.
        await discovery?.stop();
        await metrics.close();
        // Without a broker, a discovery config waiting for its PUBACK would hold a clean end forever.
        await client.endAsync(!client.connected);
      },
    };
  } catch (err) {
    await client.endAsync();
    throw err;
  }
}
