/**
 * Per-board and desk-wide metrics, rebuilt from the board view's rows at each scrape: a board
 * that went offline loses its live figures (power, load) but keeps `up 0` and its energy.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BoardRow } from '../client/board-view.ts';
import { showGauge, showTotal } from './show.ts';

const STATES: readonly BoardRow['state'][] = ['online', 'offline', 'unknown'];

export function boardMetrics(registry: Registry) {
  const registers = [registry];
  const perBoard = (name: string, help: string) => new Gauge({ name, help, labelNames: ['board'] as const, registers });
  const boards = new Gauge({
    name: 'deskbox_boards',
    help: 'Boards by state: online, offline, or unknown (expected on the desk but never heard from)',
    labelNames: ['state'] as const,
    registers,
  });
  const up = perBoard('deskbox_board_up', '1 while the board\'s retained status says online, else 0');
  const power = perBoard('deskbox_board_power_watts', 'The board\'s latest power sample (online boards)');
  // The board integrates its own energy since its agent started: a counter that resets when the
  // agent restarts, which is what Prometheus' rate() and increase() expect of a counter.
  const energy = new Counter({
    name: 'deskbox_board_energy_joules_total',
    help: 'Energy the board measured since its agent started (the board\'s own counter; resets with the agent)',
    labelNames: ['board'] as const,
    registers,
  });
  const guests = perBoard('deskbox_board_guests_running', 'Guests starting or running on the board');
  const cpu = perBoard('deskbox_board_cpu_ratio', 'The board agent\'s CPU share since its previous sample (1 = one core)');
  const memory = perBoard('deskbox_board_memory_bytes', 'The board agent\'s resident memory');
  const deskPower = new Gauge({ name: 'deskbox_desk_power_watts', help: 'Sum of the online boards\' power', registers });
  const deskGuests = new Gauge({ name: 'deskbox_guests_running', help: 'Guests starting or running on the whole desk', registers });

  return {
    update(rows: readonly BoardRow[]): void {
      for (const metric of [up, power, energy, guests, cpu, memory]) metric.reset();
      const counts = new Map(STATES.map((s) => [s, 0]));
      let watts = 0;
      let running = 0;
      for (const row of rows) {
        const labels = { board: row.board };
        counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
        up.set(labels, row.state === 'online' ? 1 : 0);
        showGauge(power, labels, row.powerW);
        showTotal(energy, labels, row.energyJ);
        showGauge(guests, labels, row.guests?.running);
        showGauge(cpu, labels, row.cpu);
        showGauge(memory, labels, row.memBytes);
        watts += row.powerW ?? 0;
        running += row.guests?.running ?? 0;
      }
      for (const [state, n] of counts) boards.set({ state }, n);
      deskPower.set(watts);
      deskGuests.set(running);
    },
  };
}
