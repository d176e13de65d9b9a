import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PowerReading } from '../../platform/hal/power.ts';
import { parseProcStat } from '../../platform/proc-stat.ts';

/** What the sensor of a board without power reads. */
export const POWER_OFF: PowerReading = Object.freeze({ watts: 0, volts: 0, amps: 0 });

export interface PowerModelInput {
  /** Host CPU share of the board's process since the last sample; may exceed 1 on many cores. */
  cpuFraction: number;
  /** Whole board idle (Overo-class COM with its carrier): ~1 W. */
  idleWatts?: number;
  /** Extra watts at full load of the board's single core. */
  loadWatts?: number;
  /** How many times faster a host core is than the board's 720 MHz Cortex-A8. */
  slowdown?: number;
  volts?: number;
}

/**
 * What the simulated board would draw: host CPU time scaled by the speed gap is the load the
 * real single-core board would carry, capped at 100% because it cannot do more.
 */
export function modelPower(input: PowerModelInput): PowerReading {
  const { cpuFraction, idleWatts = 1.0, loadWatts = 1.2, slowdown = 10, volts = 5.0 } = input;
  const cpu = Number.isFinite(cpuFraction) && cpuFraction > 0 ? cpuFraction : 0;
  const load = Math.min(1, cpu * slowdown);
  const watts = idleWatts + load * loadWatts;
  return { watts, volts, amps: watts / volts };
}

/**
 * Writes a reading as the ina2xx hwmon driver presents it, so the board agent reads the
 * simulated desk through the very code path it uses on hardware.
 *
 * A 490-board desk rewrites its sensors every second, so the writes are synchronous: on the
 * desk's RAM folder that is ~7x less CPU than the same writes through libuv's thread pool
 * (measured: 30 ms against 200 ms of CPU for 490 boards). A file whose value is unchanged is
 * left alone, except on a `full` write, which rewrites every file so that one a user garbled
 * or removed (a fault being tried) comes back.
 */
export function createHwmonWriter(dir: string, name = 'ina219'): { write(r: PowerReading, opts?: { full?: boolean }): void; dir: string } {
  let made = false;
  const written = new Map<string, string>();
  // One writer per board and synchronous writes, so a fixed temporary name is safe; rename keeps every read whole.
  const put = (file: string, text: string, full: boolean) => {
    if (!full && written.get(file) === text) return;
    const tmp = join(dir, `.${file}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(dir, file));
    written.set(file, text);
  };
  const int = (v: number) => `${Math.round(v)}\n`;
  return {
    dir,
    write(r, opts = {}) {
      const full = !made || opts.full === true;
      if (full) mkdirSync(dir, { recursive: true });
      made = true;
      put('name', `${name}\n`, full);
      put('power1_input', int(r.watts * 1e6), full);
      put('in1_input', int(r.volts * 1e3), full);
      put('curr1_input', int(r.amps * 1e3), full);
    },
  };
}

/**
 * Linux reports process times in clock ticks of USER_HZ, which is 100 on every architecture
 * the desk runs on (x86-64, arm, arm64); Node cannot ask sysconf(_SC_CLK_TCK).
 */
const TICKS_PER_SECOND = 100;

/** CPU share of one process between calls, from /proc/<pid>/stat. The first call returns 0. */
export function createCpuSampler(pid: number, monotonicMs: () => number = () => performance.now()): { sample(): Promise<number> } {
  let prev: { ticks: number; at: number } | undefined;
  return {
    async sample() {
      const path = `/proc/${pid}/stat`;
      let stat: string;
      try {
        stat = await readFile(path, 'utf8');
      } catch (e) {
        throw new Error(`cpu sampler: cannot read ${path} (process gone?): ${(e as Error).message}`, { cause: e });
      }
      const parsed = parseProcStat(stat);
      const ticks = parsed ? parsed.utimeTicks + parsed.stimeTicks : NaN;
      if (!Number.isFinite(ticks)) throw new Error(`cpu sampler: unexpected format in ${path}`);
      const at = monotonicMs();
      const last = prev;
      prev = { ticks, at };
      if (!last || at <= last.at) return 0;
      return (ticks - last.ticks) / TICKS_PER_SECOND / ((at - last.at) / 1000);
    },
  };
}
