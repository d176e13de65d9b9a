import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HalError } from '../../../platform/hal/errors.ts';
import type { PowerReading, PowerSensor } from '../../../platform/hal/power.ts';

/**
 * The ina2xx hwmon attributes this binding needs. in1 is the bus (supply) voltage; in0 would be
 * the shunt drop. Units are the kernel's: µW, mV, mA.
 */
const FILES = { power: 'power1_input', volts: 'in1_input', amps: 'curr1_input', name: 'name' } as const;

/**
 * Chips whose hwmon driver exposes power1_input/in1_input/curr1_input with these meanings.
 * ina3221 is left out on purpose: it has three channels and no power1_input.
 */
export const INA_NAMES = ['ina209', 'ina219', 'ina220', 'ina226', 'ina230', 'ina231', 'ina238', 'ina2xx'];

export async function openHwmonSensor(dir: string): Promise<PowerSensor> {
  const missing: string[] = [];
  for (const f of Object.values(FILES)) {
    try {
      await access(join(dir, f));
    } catch {
      missing.push(f);
    }
  }
  if (missing.length) {
    throw new HalError('power', 'open', dir, `missing ${missing.join(', ')}: not an ina2xx hwmon directory`);
  }
  const chip = (await readFile(join(dir, FILES.name), 'utf8').catch(() => '')).trim() || 'unknown';
  let closed = false;

  return {
    description: `hwmon ${chip} at ${dir}`,
    async read() {
      if (closed) throw new HalError('power', 'read', dir, 'sensor is closed');
      // The three attributes are read separately (as the kernel serves them), so a reading may
      // mix two consecutive samples; at telemetry rates that is within the chip's own noise.
      const results = await Promise.allSettled([FILES.power, FILES.volts, FILES.amps].map((f) => readInt(dir, f)));
      // Settle all, then report the first failure in file order: the same fault always
      // gives the same error, whichever read happened to finish first.
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      const [uw, mv, ma] = results.map((r) => (r as PromiseFulfilledResult<number>).value) as [number, number, number];
      return { watts: uw / 1e6, volts: mv / 1e3, amps: ma / 1e3 } satisfies PowerReading;
    },
    async close() {
      closed = true;
    },
  };
}

async function readInt(dir: string, file: string): Promise<number> {
  const path = join(dir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HalError('power', 'read', path, e);
  }
  // Strict: a half-written or foreign file must not turn into a plausible-looking number.
  if (!/^-?\d+\n?$/.test(text)) {
    throw new HalError('power', 'read', path, `garbled value ${JSON.stringify(text.slice(0, 40))}`);
  }
  return Number.parseInt(text, 10);
}

/**
 * First hwmon device whose `name` is one of `names`, in hwmonN order so the choice is stable
 * across boots. Undefined when there is none, including on kernels without hwmon at all.
 */
export async function findHwmonSensor(root = '/sys/class/hwmon', names: string[] = INA_NAMES): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return undefined;
  }
  entries.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const entry of entries) {
    const dir = join(root, entry);
    const name = await readFile(join(dir, 'name'), 'utf8').catch(() => undefined);
    if (name !== undefined && names.includes(name.trim())) return dir;
  }
  return undefined;
}
