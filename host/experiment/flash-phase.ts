/**
 * A plan's `image`: flashed into the plan's boards before the first repetition, as
 * `deskbox flash` would (agent protocol, U-Boot where no agent answers, waiting until each
 * board runs it). A board that fails stops the run before anything is measured on a desk
 * running mixed images.
 */
import pLimit from 'p-limit';
import { systemClock } from '../../platform/clock.ts';
import { controlRequest } from '../desk/control.ts';
import { deskLayout } from '../locations/layout.ts';
import { flashOne, type FlashResult } from '../flash/flash-one.ts';
import { BUILTIN_PROFILES } from '../flash/uboot-profile.ts';
import type { watchBoardHealth } from '../flash/health.ts';
import { verifyImageFile } from '../../images/verify-file.ts';
import type { PhaseProgress } from './runner.ts';

export async function flashPlanImage(opts: {
  image: string;
  boards: string[];
  state: string;
  baud: number;
  health: Awaited<ReturnType<typeof watchBoardHealth>>;
  progress: PhaseProgress;
}): Promise<FlashResult[]> {
  const verdict = await verifyImageFile(opts.image);
  if (!verdict.ok) throw new Error(`the plan's image: ${verdict.error!.message}`);
  const layout = deskLayout(opts.state);
  const done = new Map<string, number>();
  opts.progress.start('flash', opts.boards.length * 100, '%');
  const limit = pLimit(64);
  const results = await Promise.all(opts.boards.map((board) => limit(() => flashOne({ label: board, port: layout.board(board).consolePort, board }, {
    imageFile: opts.image, method: 'auto', profile: BUILTIN_PROFILES.sim!, baud: opts.baud, clock: systemClock(), retries: 3,
    resetBoard: async () => { await controlRequest(layout.controlSocket, 'POST', '/power', { board, action: 'cycle' }); },
    awaitHealth: (_t, image, since) => opts.health.until(board, image, since, 120_000),
    onProgress: (_t, p) => {
      done.set(board, Math.floor((p.imageBytesDone / Math.max(1, p.imageBytes)) * 100));
      opts.progress.update([...done.values()].reduce((a, b) => a + b, 0));
    },
  }))));
  opts.progress.end();
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) throw new Error(`flashing the plan's image failed on ${failed.map((r) => `${r.label} (${r.error!.code}: ${r.error!.message})`).join('; ')}`);
  return results;
}
