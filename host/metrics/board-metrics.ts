/**
 * Per-board and desk-wide metrics, rebuilt from the board view's rows at each scrape: a board
 * that went offline loses its live figures (power, load, info) but keeps `up 0`, its energy
 * and when it was last heard. The desk's energy counter is the one figure kept across scrapes.
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
  const guestsReady = perBoard('deskbox_board_guests_ready', 'Guests that signalled ready on the board');
  const guestsFailed = perBoard('deskbox_board_guests_failed', 'Guests that could not start or exited for good on the board');
  const volts = perBoard('deskbox_board_volts', 'The board\'s supply voltage in its latest sample (online boards)');
  const amps = perBoard('deskbox_board_amps', 'The board\'s current in its latest sample (online boards)');
  const lastTelemetry = perBoard('deskbox_board_last_telemetry_timestamp_seconds', 'When the board stamped its latest telemetry sample (Unix time), kept while offline');
  const bootTime = perBoard('deskbox_board_boot_time_seconds', 'When the board booted (Unix time; online boards): time() minus this is its uptime');
  const info = new Gauge({
    name: 'deskbox_board_info',
    help: 'Always 1 for an online board, labelled with its agent version, booted image and slot, and guest runtime',
    labelNames: ['board', 'version', 'image', 'slot', 'runtime'] as const,
    registers,
  });
  // Each board's own counter resets when its agent restarts; the desk's adds up what they
  // measured since this process started reading, so a board's reset does not take it down.
  const deskEnergy = new Counter({ name: 'deskbox_desk_energy_joules_total', help: 'Energy the desk\'s boards measured, summed since this exporter started (board counter resets counted from 0)', registers });
  const lastEnergy = new Map<string, number>();
  const cpu = perBoard('deskbox_board_cpu_ratio', 'The board agent\'s CPU share since its previous sample (1 = one core)');
  const memory = perBoard('deskbox_board_memory_bytes', 'The board agent\'s resident memory');
  const deskPower = new Gauge({ name: 'deskbox_desk_power_watts', help: 'Sum of the online boards\' power', registers });
  const deskGuests = new Gauge({ name: 'deskbox_guests_running', help: 'Guests starting or running on the whole desk', registers });

  return {
    update(rows: readonly BoardRow[]): void {
      for (const metric of [up, power, energy, guests, guestsReady, guestsFailed, volts, amps, lastTelemetry, bootTime, info, cpu, memory]) metric.reset();
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
        showGauge(guestsReady, labels, row.guests?.ready);
        showGauge(guestsFailed, labels, row.guests?.failed);
        showGauge(volts, labels, row.volts);
        showGauge(amps, labels, row.amps);
        showGauge(lastTelemetry, labels, row.lastTelemetryAt !== undefined && row.lastTelemetryAt > 0 ? row.lastTelemetryAt / 1000 : undefined);
        showGauge(bootTime, labels, row.bootedAt !== undefined ? row.bootedAt / 1000 : undefined);
        if (row.state === 'online') {
          info.set({ board: row.board, version: row.version ?? '', image: row.image ? `${row.image.name}@${row.image.version}` : '', slot: row.image?.slot ?? '', runtime: row.guestRuntime ?? '' }, 1);
        }
        if (row.energyJ !== undefined) {
          const before = lastEnergy.get(row.board);
          if (before !== undefined) deskEnergy.inc(row.energyJ >= before ? row.energyJ - before : row.energyJ);
          lastEnergy.set(row.board, row.energyJ);
        }
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
