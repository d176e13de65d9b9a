/**
 * What the host serves beside the dashboard page: Prometheus `/metrics` from the desk's
 * messages and, when asked, Home Assistant discovery with the desk summary its desk device
 * reads. One broker connection for both: the
 * monitor role reads everything; discovery needs the host role to publish its configs.
 */
import type { Logger } from '../../platform/log.ts';
import type { DeskAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { createDeskMetrics } from '../metrics/desk-metrics.ts';
import { startHomeAssistantDiscovery, type HomeAssistantDiscovery } from '../homeassistant/publisher.ts';
import { publishDeskSummary } from '../homeassistant/desk-summary.ts';
import { SUMMARY_PERIOD_MS } from '../homeassistant/desk-device.ts';
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
  /**
   * Starts Home Assistant discovery and the desk summary, when asked for: once the dashboard
   * (if any) listens, so the devices can link to it. Once only.
   */
  announce(configurationUrl?: string): void;
  close(): Promise<void>;
}

/** `access` must be for the host role when `homeAssistant` is set. */
export async function startDeskServices(access: DeskAccess, opts: { homeAssistant: boolean; logger: Logger; purpose?: string }): Promise<DeskServices> {
  // Reconnecting, so the figures do not freeze for good when the desk broker is restarted.
  const client = await connectToDesk(access, opts.purpose ?? 'dashboard', undefined, { reconnect: true });
  try {
    const metrics = await createDeskMetrics({ client, desk: access.desk, boards: access.boards });
    const logger = opts.logger.child('homeassistant');
    let discovery: HomeAssistantDiscovery | undefined;
    let summary: { stop(): void } | undefined;
    return {
      // Refused while the broker is away, so a scrape fails (Prometheus' `up` 0) instead of serving figures that stand still.
      metrics: { contentType: metrics.contentType, render: () => (client.connected ? metrics.render() : Promise.reject(new BrokerAwayError(access.url))) },
      homeAssistant: opts.homeAssistant,
      announce(configurationUrl) {
        if (!opts.homeAssistant || discovery) return;
        discovery = startHomeAssistantDiscovery({ client, desk: access.desk, logger, ...(configurationUrl !== undefined && { configurationUrl }) });
        summary = publishDeskSummary({ client, desk: access.desk, rows: () => metrics.rows(), logger, periodMs: SUMMARY_PERIOD_MS });
      },
      async close() {
        summary?.stop();
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
