/**
 * Opens a board's devices from its config, choosing the binding each names. The agent sees
 * only the interfaces; a simulated board differs from a real one only here.
 */
import type { BoardConfig } from './config/board-config.ts';
import type { PowerSensor } from '../platform/hal/power.ts';
import { findHwmonSensor, openHwmonSensor } from './hal/power/hwmon.ts';
import type { GpioBinding, GpioLine } from '../platform/hal/gpio.ts';
import { fileGpio } from './hal/gpio/sim.ts';
import { onoffGpio } from './hal/gpio/onoff.ts';
import type { SerialLink } from '../platform/hal/serial.ts';
import { serialportBinding } from './hal/serial/serialport.ts';

export interface BoardHardware {
  power: PowerSensor;
  gpio: GpioBinding;
  console?: SerialLink;
  describe(): { power: string; gpio: string; console: string };
  close(): Promise<void>;
}

async function openPower(spec: string): Promise<PowerSensor> {
  if (spec !== 'auto') return openHwmonSensor(spec);
  const dir = await findHwmonSensor();
  if (!dir) throw new Error('no ina2xx power sensor found under /sys/class/hwmon');
  return openHwmonSensor(dir);
}

async function openGpio(spec: string, lines: Record<string, number>): Promise<GpioBinding> {
  if (spec.startsWith('sim:')) return fileGpio(spec.slice(4));
  if (spec === 'onoff') return onoffGpio(lines);
  throw new Error(`unknown gpio binding "${spec}": use sim:<dir> or onoff`);
}

export async function openBoardHardware(cfg: BoardConfig['hardware']): Promise<BoardHardware> {
  const power = await openPower(cfg.power);
  const gpio = await openGpio(cfg.gpio, cfg.gpioLines);
  // The power-enable line feeds the board's peripherals (guests' rail on a real board).
  const powerEnable: GpioLine = await gpio.open('power-en', 'out', 1);
  const console = cfg.console ? await serialportBinding().open(cfg.console, { baudRate: cfg.consoleBaud }) : undefined;
  return {
    power,
    gpio,
    console,
    describe: () => ({ power: power.description, gpio: gpio.description, console: console ? console.path : 'none' }),
    async close() {
      await powerEnable.write(0).catch(() => undefined);
      await Promise.allSettled([power.close(), powerEnable.close(), console?.close()]);
    },
  };
}
