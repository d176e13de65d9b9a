/**
 * What a dashboard for a simulated desk shows, read from the desk's state folder: the desk id,
 * its boards, the broker's WebSocket URL and the command that reflashes its boards; and the
 * flash API that reflashes them from the page. No credentials: the page's user logs in with
 * their own.
 */
import { existsSync } from 'node:fs';
import type { Logger } from '../../platform/log.ts';
import { deskLayout, type DeskLayout } from '../locations/layout.ts';
import { DeskStateError, readDeskFile, readLiveRunFile, type DeskFile } from '../locations/desk-file.ts';
import { WS_PATH } from '../../broker/contract/topics.ts';
import type { DashboardOptions } from './server.ts';
import { createFlashApi, type FlashApi } from './flash-api.ts';
import { createFlashJobs } from './flash-jobs.ts';
import { childFlashRunner } from './flash-child.ts';

export type DeskTarget = Pick<DashboardOptions, 'desk' | 'wsUrl' | 'boards' | 'flashCommand'>;

/** `cli`: how the user runs deskbox (`deskbox`, or `node dist/deskbox.mjs`), for the flash hint. */
export async function deskTarget(state: string, cli = 'deskbox'): Promise<DeskTarget> {
  const layout = deskLayout(state);
  const desk = await readDeskFile(layout);
  const run = await readLiveRunFile(layout);
  if (!run) throw new DeskStateError(`the desk in ${layout.root} is not running (deskbox desk up)`);
  return simulatedDeskTarget(layout, desk, run, cli);
}

/** The same, from what the desk's supervisor knows while it starts (before its run file exists). */
export function simulatedDeskTarget(layout: DeskLayout, desk: DeskFile, broker: { host: string; wsPort: number | null }, cli: string): DeskTarget {
  if (broker.wsPort === null) throw new DeskStateError(`the desk in ${layout.root} runs no WebSocket listener, which the dashboard needs`);
  // A board image given to `desk up --board-image` is not kept in the state folder.
  const image = existsSync(layout.boardImage) ? layout.boardImage : '<board.dbi>';
  return {
    desk: desk.desk,
    wsUrl: `ws://${broker.host}:${broker.wsPort}${WS_PATH}`,
    boards: desk.boards,
    flashCommand: `${cli} flash --state ${layout.root} --image ${image}`,
  };
}

/**
 * Reflash from the page, with the desk's own board image through `deskbox flash` (`cli`: its
 * entry point). Undefined when that image is not in the state folder (`desk up --board-image`).
 */
export function simulatedDeskFlash(layout: DeskLayout, desk: DeskFile, cli: string, logger: Logger): FlashApi | undefined {
  if (!existsSync(layout.boardImage)) return undefined;
  const runner = childFlashRunner({ cli, state: layout.root, image: layout.boardImage, logger });
  return createFlashApi({ usersFile: layout.usersFile, boards: desk.boards, jobs: createFlashJobs(runner, logger), logger });
}
