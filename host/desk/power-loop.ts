/**
 * Feeds each simulated board's power sensor once a second: the power model turns the CPU
 * used by the board's process into watts, written as hwmon files the agent reads back.
 * Boards sharing a process share its CPU evenly; a board without power reads 0 W. Only
 * changed values are written, and every file every FULL_EVERY ticks (see createHwmonWriter).
 */
import type { BoardProcesses } from './board-processes.ts';
import type { SimBoard } from './sim-board.ts';
import { POWER_OFF, createCpuSampler, modelPower } from './power-model.ts';
import type { Logger } from '../../platform/log.ts';

const FULL_EVERY = 10;

export function startPowerLoop(procs: BoardProcesses, boards: Map<string, SimBoard>, logger: Logger, periodMs = 1000) {
  const samplers = new Map<number, ReturnType<typeof createCpuSampler>>();
  let busy = false;
  let ticks = 0;
  const tick = async () => {
    if (busy) return;
    busy = true;
    const full = ticks++ % FULL_EVERY === 0;
    try {
      const live = new Set<number>();
      await Promise.all(procs.groups().map(async (g) => {
        const readings = new Map(g.boards.map((b) => [b, POWER_OFF]));
        await Promise.all(g.processes.map(async (p) => {
          live.add(p.pid);
          let sampler = samplers.get(p.pid);
          if (!sampler) samplers.set(p.pid, (sampler = createCpuSampler(p.pid)));
          const cpu = await sampler.sample().catch(() => 0);
          for (const b of p.boards) readings.set(b, modelPower({ cpuFraction: cpu / p.boards.length }));
        }));
        for (const [b, reading] of readings) boards.get(b)?.hwmon.write(reading, { full });
      }));
      for (const pid of samplers.keys()) if (!live.has(pid)) samplers.delete(pid);
    } catch (err) {
      logger.warn('power model update failed', { error: (err as Error).message });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), periodMs);
  void tick();
  return {
    /** Brings the sensor files up to date now, e.g. right after a power switch changed. */
    refresh: tick,
    stop: () => clearInterval(timer),
  };
}
