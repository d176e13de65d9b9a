import { HalError } from '../../../platform/hal/errors.ts';
import { isLevel, type GpioBinding, type GpioLine } from '../../../platform/hal/gpio.ts';

/**
 * Real GPIO through onoff (sysfs /sys/class/gpio). `map` names the board's lines; the numbers
 * are kernel GPIO numbers, which on recent kernels include the chip's base (often 512 and up).
 * onoff is imported here, not at module top, so bundles that never touch real GPIO stay lean
 * and load on machines where its native `epoll` addon is absent.
 */
export async function onoffGpio(map: Record<string, number>): Promise<GpioBinding> {
  let Gpio: typeof import('onoff').Gpio;
  try {
    ({ Gpio } = await import('onoff'));
  } catch (e) {
    throw new HalError('gpio', 'load', 'onoff', e);
  }
  if (!Gpio.accessible) {
    throw new HalError('gpio', 'open', '/sys/class/gpio', 'no GPIO on this kernel (onoff reports Gpio.accessible = false)');
  }
  const open = new Set<string>();

  return {
    description: `onoff gpio (${Object.entries(map).map(([n, g]) => `${n}=${g}`).join(' ')})`,
    async open(line, direction, initial) {
      const num = Object.hasOwn(map, line) ? map[line] : undefined;
      const where = `${line} (gpio ${num ?? '?'})`;
      if (num === undefined) throw new HalError('gpio', 'open', where, `unknown line "${line}" (known: ${Object.keys(map).join(', ') || 'none'})`);
      if (initial !== undefined && !isLevel(initial)) throw new HalError('gpio', 'open', where, `invalid level ${String(initial)}`);
      // onoff happily re-exports a pin that is in use; refuse here so two owners cannot fight.
      if (open.has(line)) throw new HalError('gpio', 'open', where, 'line is busy (already open)');
      let gpio: InstanceType<typeof Gpio>;
      try {
        // 'high'/'low' set the level atomically with the direction: no glitch on the pin.
        gpio = new Gpio(num, direction === 'in' ? 'in' : initial === 1 ? 'high' : 'low');
      } catch (e) {
        throw new HalError('gpio', 'open', where, e);
      }
      open.add(line);
      let closed = false;
      const guard = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
        if (closed) throw new HalError('gpio', op, where, 'line is closed');
        try {
          return await fn();
        } catch (e) {
          throw e instanceof HalError ? e : new HalError('gpio', op, where, e);
        }
      };
      const handle: GpioLine = {
        name: line,
        read: () => guard('read', () => gpio.read()),
        write: (v) => guard('write', async () => {
          if (direction !== 'out') throw new HalError('gpio', 'write', where, 'line is an input');
          if (!isLevel(v)) throw new HalError('gpio', 'write', where, `invalid level ${String(v)}`);
          await gpio.write(v);
        }),
        async close() {
          if (closed) return;
          closed = true;
          open.delete(line);
          try {
            gpio.unexport();
          } catch (e) {
            throw new HalError('gpio', 'close', where, e);
          }
        },
      };
      return handle;
    },
  };
}
