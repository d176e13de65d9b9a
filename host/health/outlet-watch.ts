/**
 * Which boards a real desk has switched off, as their outlets say. A board switched off (by a
 * person, `desk power`, a schedule saving energy at night) owes no telemetry and its going is
 * no fault, or the health service would quarantine it and its recovery switch it back on. The
 * outlets are asked every `everyMs`; one that cannot tell (the manual driver) or does not answer
 * counts as on, so a board that fell silent by itself is still noticed.
 */
import type { Clock, TimerHandle } from '../../platform/clock.ts';
import type { BoardOutlets } from './board-outlets.ts';

export async function watchOutletStates(power: BoardOutlets, boards: readonly string[], clock: Clock, everyMs: number) {
  const off = new Set<string>();
  let timer: TimerHandle | undefined;
  let stopped = false;
  const ask = async () => {
    await Promise.all(boards.map(async (board) => {
      const state = await power.outletOf(board)?.state().catch(() => 'unknown' as const);
      if (state === 'off') off.add(board);
      else off.delete(board);
    }));
    if (!stopped) timer = clock.setTimeout(() => void ask(), everyMs);
  };
  // The first answers before the service starts judging: a board already off is not missed.
  await ask();
  return {
    isOff: (board: string) => off.has(board),
    stop(): void {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
    },
  };
}
