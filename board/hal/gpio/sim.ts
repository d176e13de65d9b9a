import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../platform/atomic-file.ts';
import { HalError } from '../../../platform/hal/errors.ts';
import { isLevel, type GpioBinding, type GpioLine, type Level } from '../../../platform/hal/gpio.ts';

/** Line names become file names: nothing that could leave the directory or hide as a dotfile. */
const LINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * GPIO as files, one per line holding "0\n" or "1\n". The simulated desk (another process)
 * watches outputs and drives inputs through the same files, the way a wire would.
 */
export function fileGpio(dir: string): GpioBinding {
  const open = new Set<string>();

  return {
    description: `file gpio in ${dir}`,
    async open(line, direction, initial) {
      const path = join(dir, line);
      if (!LINE_NAME.test(line)) throw new HalError('gpio', 'open', path, `invalid line name "${line}"`);
      if (initial !== undefined && !isLevel(initial)) throw new HalError('gpio', 'open', path, `invalid level ${String(initial)}`);
      if (open.has(line)) throw new HalError('gpio', 'open', path, 'line is busy (already open)');
      try {
        await mkdir(dir, { recursive: true });
        if (direction === 'out') {
          await writeFileAtomic(path, `${initial ?? 0}\n`);
        } else {
          // An undriven input reads as `initial` (a pull); an existing file is the peer's drive.
          await writeFile(path, `${initial ?? 0}\n`, { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'EEXIST') throw e;
          });
        }
      } catch (e) {
        throw new HalError('gpio', 'open', path, e);
      }
      open.add(line);
      return fileLine(line, path, direction, () => open.delete(line));
    },
  };
}

function fileLine(name: string, path: string, direction: 'in' | 'out', release: () => void): GpioLine {
  let closed = false;
  const check = (op: string) => {
    if (closed) throw new HalError('gpio', op, path, 'line is closed');
  };
  return {
    name,
    async read() {
      check('read');
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        throw new HalError('gpio', 'read', path, e);
      }
      const v = text.trim();
      if (v === '0' || v === '1') return Number(v) as Level;
      throw new HalError('gpio', 'read', path, `garbled value ${JSON.stringify(text.slice(0, 20))}`);
    },
    async write(v) {
      check('write');
      if (direction !== 'out') throw new HalError('gpio', 'write', path, 'line is an input');
      if (!isLevel(v)) throw new HalError('gpio', 'write', path, `invalid level ${String(v)}`);
      try {
        await writeFileAtomic(path, `${v}\n`);
      } catch (e) {
        throw new HalError('gpio', 'write', path, e);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      release();
    },
  };
}
