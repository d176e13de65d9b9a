/**
 * What a dashboard for a simulated desk shows, read from the desk's state folder: the desk id,
 * its boards, the broker's WebSocket listeners and the command that reflashes its boards; the
 * desk's certificate when its broker is TLS-only (the page must then come over HTTPS); the
 * broker's users file and the boards' console logs, for the page's account and console
 * endpoints; and the flash API that reflashes them from the page. No credentials: the page's user logs in with
 * their own.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from '../../platform/log.ts';
import { systemClock } from '../../platform/clock.ts';
import { LoginThrottle } from '../../broker/index.ts';
import { deskLayout, type DeskLayout } from '../locations/layout.ts';
import { DeskStateError, readDeskFile, readLiveRunFile, type DeskFile } from '../locations/desk-file.ts';
import type { BrokerPorts } from '../locations/broker-urls.ts';
import type { DashboardOptions } from './server.ts';
import { dashboardUsers, type DashboardUsers } from './basic-auth.ts';
import { createFlashApi, type FlashApi } from './flash-api.ts';
import { createFlashJobs } from './flash-jobs.ts';
import { childFlashRunner } from './flash-child.ts';

export type DeskTarget = Pick<DashboardOptions, 'desk' | 'broker' | 'boards' | 'tags' | 'flashCommand' | 'tls' | 'users' | 'consoleLog'>;

/** `cli`: how the user runs deskbox (`deskbox`, or `node dist/deskbox.mjs`), for the flash hint. */
export async function deskTarget(state: string, cli = 'deskbox'): Promise<DeskTarget> {
  const layout = deskLayout(state);
  const desk = await readDeskFile(layout);
  const run = await readLiveRunFile(layout);
  if (!run) throw new DeskStateError(`the desk in ${layout.root} is not running (deskbox desk up)`);
  return simulatedDeskTarget(layout, desk, run, cli);
}

/** The same, from what the desk's supervisor knows while it starts (before its run file exists). */
export function simulatedDeskTarget(layout: DeskLayout, desk: DeskFile, broker: { host: string; nodes?: BrokerPorts[] } & BrokerPorts, cli: string): DeskTarget {
  if (broker.wsPort === null && broker.wssPort === null) throw new DeskStateError(`the desk in ${layout.root} runs no WebSocket listener, which the dashboard needs`);
  // A board image given to `desk up --board-image` is not kept in the state folder.
  const image = existsSync(layout.boardImage) ? layout.boardImage : '<board.dbi>';
  return {
    desk: desk.desk,
    // A cluster's nodes (node 0 first, as `broker` is node 0), else the one broker.
    broker: { host: broker.host, nodes: (broker.nodes ?? [broker]).map(({ wsPort, wssPort }) => ({ wsPort, wssPort })) },
    boards: desk.boards,
    tags: desk.tags,
    // The page's user is checked against the broker's own users: for /api/me and the consoles.
    users: simulatedDeskUsers(layout),
    consoleLog: (board) => (desk.boards.includes(board) ? layout.board(board).consoleLog : undefined),
    flashCommand: `${cli} flash --state ${layout.root} --image ${image}`,
    // Read at once: the dashboard starts right after, and the supervisor's broker holds the same files.
    ...(broker.wsPort === null ? { tls: { cert: readFileSync(layout.tls.serverCert), key: readFileSync(layout.tls.serverKey) } } : {}),
  };
}

/** The desk broker's users file, and a login throttle for the one dashboard that reads it. */
export function simulatedDeskUsers(layout: DeskLayout): DashboardUsers {
  return dashboardUsers(layout.usersFile, new LoginThrottle({ clock: systemClock() }));
}

/**
 * Reflash from the page, with the desk's own board image through `deskbox flash` (`cli`: its
 * entry point). Undefined when that image is not in the state folder (`desk up --board-image`).
 */
export function simulatedDeskFlash(layout: DeskLayout, desk: DeskFile, cli: string, logger: Logger, users = simulatedDeskUsers(layout)): FlashApi | undefined {
  if (!existsSync(layout.boardImage)) return undefined;
  const runner = childFlashRunner({ cli, state: layout.root, image: layout.boardImage, logger });
  return createFlashApi({ users, boards: desk.boards, jobs: createFlashJobs(runner, logger), logger });
}
