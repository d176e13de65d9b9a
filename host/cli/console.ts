/**
 * `deskbox console <board|port>`: a terminal on a board's serial console, as `screen` or
 * `picocom` would give, through the real serialport binding. A board id names a simulated
 * board's console port; anything else is a device path. Ctrl-] leaves.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { isValidId } from '../../broker/contract/topics.ts';
import { deskLayout } from '../locations/layout.ts';
import { stateOption } from './options.ts';
import { action } from './run.ts';

const LEAVE = 0x1d;

/** A board id of the simulated desk in `state`, or a device path as given. */
export function resolvePort(target: string, state: string): string {
  if (target.includes('/') || !isValidId(target)) return target;
  const port = deskLayout(state).board(target).consolePort;
  if (!existsSync(port)) throw new Error(`no console port for board "${target}" in ${deskLayout(state).root} (is the desk up? or give a device path)`);
  return port;
}

export function registerConsole(program: Command): void {
  stateOption(program.command('console'))
    .description('attach this terminal to a board\'s serial console (Ctrl-] to leave)')
    .argument('<board|port>', 'a simulated board (b03) or a serial device (/dev/ttyUSB3)')
    .option('--baud <rate>', 'baud rate', (x) => Number(x), 115200)
    .action(action(async (target: string, o: { state: string; baud: number }) => {
      const path = resolvePort(target, o.state);
      const link = await serialportBinding().open(path, { baudRate: o.baud });
      process.stderr.write(`connected to ${path} at ${o.baud} baud; Ctrl-] to leave\r\n`);
      const stdin = process.stdin;
      if (stdin.isTTY) stdin.setRawMode(true);
      const off = link.onData((chunk) => process.stdout.write(chunk));
      await new Promise<void>((resolve) => {
        const onInput = (chunk: Buffer) => {
          const cut = chunk.indexOf(LEAVE);
          const data = cut >= 0 ? chunk.subarray(0, cut) : chunk;
          if (data.length > 0) link.write(data).catch(() => resolve());
          if (cut >= 0) resolve();
        };
        stdin.on('data', onInput);
        stdin.once('end', resolve);
      });
      off();
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      await link.close();
      process.stderr.write('\r\nleft the console\r\n');
    }));
}
