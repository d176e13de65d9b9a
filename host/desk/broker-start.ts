/**
 * The desk broker's first start in a supervisor: on the ports broker-ports.ts wants; a stored
 * port that something else now holds is given up for a free one, and the user is told. The
 * ports it ends up on are stored for the next `desk up`.
 */
import type { Logger } from '../../platform/log.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import { BrokerStartError, spawnBrokerProcess, type BrokerProcess, type NodeOptions } from './broker-process.ts';
import { describePorts, LISTENER_LABEL, portsIn, portsOf, readStoredPorts, storePorts, wantedPorts, type WantedPorts } from './broker-ports.ts';

export interface FirstStart {
  broker: BrokerProcess;
  /** Set when a stored port was taken and the broker moved: what the user should know. */
  portsNote: string | null;
}

export async function startBrokerOnWantedPorts(layout: DeskLayout, desk: DeskFile, cli: string, logger: Logger, node: NodeOptions = {}): Promise<FirstStart> {
  let want: WantedPorts = wantedPorts(desk, await readStoredPorts(layout));
  const taken: string[] = [];
  // Each pass turns one stored port into "any", so this ends after at most four retries.
  for (;;) {
    try {
      const broker = await spawnBrokerProcess(layout, cli, portsOf(want), logger, node);
      await storePorts(layout, portsIn(broker));
      const moved = `the broker listens on new ports (${describePorts(broker)})`;
      const portsNote = taken.length > 0 ? `this desk's last ${taken.join(' and ')} ${taken.length === 1 ? 'is' : 'are'} taken; ${moved}` : null;
      if (portsNote) logger.warn('broker ports moved', { note: portsNote });
      return { broker, portsNote };
    } catch (err) {
      const port = err instanceof BrokerStartError ? err.portTaken : undefined;
      const slot = port && want[port.listener];
      if (!port || !slot?.stored || slot.port !== port.port) throw err;
      taken.push(`${LISTENER_LABEL[port.listener]} port ${port.port}`);
      want = { ...want, [port.listener]: { port: 0, stored: false } };
    }
  }
}
