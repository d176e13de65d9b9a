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

export interface DeskServices {
  metrics: MetricsSource;
  homeAssistant: boolean;
  /** Settles if the broker connection drops: the figures would silently freeze. */
  lost: Promise<void>;
  close(): Promise<void>;
}

/** `access` must be for the host role when `homeAssistant` is set. */
export async function startDeskServices(access: DeskAccess, opts: { homeAssistant: boolean; logger: Logger; purpose?: string }): Promise<DeskServices> {
  const client = await connectToDesk(access, opts.purpose ?? 'dashboard');
  try {
    const metrics = await createDeskMetrics({ client, desk: access.desk, boards: access.boards });
    const discovery = opts.homeAssistant ? startHomeAssistantDiscovery({ client, desk: access.desk, logger: opts.logger.child('homeassistant') }) : undefined;
    return {
      metrics,
      homeAssistant: discovery !== undefined,
      lost: new Promise<void>((resolve) => client.once('close', () => resolve())),
      async close() {
        // Discovery configs stay retained: the boards stay in Home Assistant until removed.
        await discovery?.stop();
        await metrics.close();
        await client.endAsync();
      },
    };
  } catch (err) {
    await client.endAsync();
    throw err;
  }
}
