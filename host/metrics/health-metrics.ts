/**
 * The desk's health verdicts (host/health/) as Prometheus metrics: one series per board and
 * state, 1 for the state it is in (the enum pattern: `deskbox_board_health{state="quarantined"} == 1`
 * finds the boards out of service), and a count per state.
 */
import { Gauge, type Registry } from 'prom-client';
import { VERDICT_STATES, type BoardVerdict } from '../../broker/contract/health.ts';

export function healthMetrics(registry: Registry) {
  const registers = [registry];
  const perBoard = new Gauge({ name: 'deskbox_board_health', help: 'The desk\'s verdict on the board: 1 for its state (healthy, suspect, quarantined, recovering, retired), 0 for the others', labelNames: ['board', 'state'] as const, registers });
  const counts = new Gauge({ name: 'deskbox_boards_health', help: 'Boards in each health state (boards without a verdict count as healthy)', labelNames: ['state'] as const, registers });
  return {
    /** `boards`: every board of the desk; a board without a verdict is healthy. */
    update(boards: readonly string[], verdicts: ReadonlyMap<string, BoardVerdict>): void {
      perBoard.reset();
      const all = new Set([...boards, ...verdicts.keys()]);
      const tally = new Map(VERDICT_STATES.map((s) => [s, 0]));
      for (const board of all) {
        const state = verdicts.get(board)?.state ?? 'healthy';
        tally.set(state, tally.get(state)! + 1);
        for (const s of VERDICT_STATES) perBoard.set({ board, state: s }, s === state ? 1 : 0);
      }
      for (const [state, n] of tally) counts.set({ state }, n);
    },
  };
}
