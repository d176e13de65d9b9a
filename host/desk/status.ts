/**
 * `desk status`: what the running supervisor reports, or, when none runs because the desk went
 * down on its own, why it did.
 */
import type { DeskLayout } from '../locations/layout.ts';
import type { BrokerUrls } from '../locations/broker-urls.ts';
import type { GroupState } from './board-processes.ts';
import type { BrokerHealth } from './broker-keeper.ts';
import { ControlError, controlRequest } from './control.ts';
import { readDown, type DownRecord } from './down-file.ts';
import type { DeskLan } from './desk-lan.ts';
import type { RedisHealth } from './redis-keeper.ts';

export interface DeskStatus {
  desk: string;
  pid: number;
  broker: BrokerUrls & BrokerHealth;
  /** A cluster (`desk up --broker-nodes`): every node, the first being `broker`, and its redis-server. */
  nodes?: Array<BrokerUrls & BrokerHealth>;
  redis?: RedisHealth;
  dashboard: string | null;
  groups: GroupState[];
  /** The desk LAN (namespace, bridge, subnet, each board's address), or why guests get no network. */
  lan: DeskLan;
}

export class DeskDownError extends Error {
  constructor(readonly down: DownRecord, layout: DeskLayout) {
    super(`the desk in ${layout.root} went down at ${new Date(down.at).toISOString()}: ${down.reason}; see ${layout.supervisorLog} and ${layout.brokerLog} (deskbox desk up starts it again)`);
    this.name = 'DeskDownError';
  }
}

export async function deskStatus(layout: DeskLayout): Promise<DeskStatus> {
  try {
    return await controlRequest<DeskStatus>(layout.controlSocket, 'GET', '/status');
  } catch (err) {
    const down = err instanceof ControlError && err.status === 503 ? await readDown(layout) : undefined;
    throw down ? new DeskDownError(down, layout) : err;
  }
}
