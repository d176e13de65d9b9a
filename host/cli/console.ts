/**
 * `deskbox console <board|port>`: a terminal on a board's serial console, as `screen` or
 * `picocom` would give, through the real serialport binding. A board id names a simulated
 * board's console port; anything else is a device path. The session outlives its device: an
 * adapter unplugged and plugged back is reopened (host/console/keeper.ts). Ctrl-] leaves.
 */
import type { Command } from 'commander';
import { lstatSync } from 'node:fs';
import { openConsoleKeeper, type ConsoleEvent } from '../console/keeper.ts';
import { isValidId } from '../../broker/contract/topics.ts';
import { deskLayout } from '../locations/layout.ts';
import { stateOption } from './options.ts';
import { action } from './run.ts';

const LEAVE = 0x1d;

/** A board id of the simulated desk in `state`, or a device path as given. */
export function resolvePort(target: string, state: string): string {
  if (target.includes('/') || !isValidId(target)) return target;
  const port = deskLayout(state).board(target).consolePort;
  // The link itself, not where it leads: with the board's adapter unplugged it dangles, and
  // the console waits for the device to come back.
  if (!lstatSync(port, { throwIfNoEntry: false })) throw new Error(`no console port for board "${target}" in ${deskLayout(state).root} (is the desk up? or give a device path)`);
  return port;
}

export function registerConsole(program: Command): void {
  stateOption(program.command('console'))
    .description('attach this terminal to a board\'s serial console (Ctrl-] to leave)')
    .argument('<board|port>', 'a simulated board (b03) or a serial device (/dev/ttyUSB3)')
    .option('--baud <rate>', 'baud rate', (x) => Number(x), 115200)
    .action(action(async (target: string, o: { state: string; baud: number }) => {
      const path = resolvePort(target, o.state);
      // A replugged adapter (or one not there yet) no longer ends the session: the keeper
      // waits for the device, and the terminal gets one line when it goes and comes back.
      const keeper = await openConsoleKeeper({ path, baud: o.baud, label: target, onEvent: (e) => note(path, e) });
      if (keeper.state() === 'open') process.stderr.write(`connected to ${path} at ${o.baud} baud; Ctrl-] to leave\r\n`);
      const stdin = process.stdin;
      if (stdin.isTTY) stdin.setRawMode(true);
      const off = keeper.onData((chunk) => process.stdout.write(chunk));
      await new Promise<void>((resolve) => {
        const onInput = (chunk: Buffer) => {
          const cut = chunk.indexOf(LEAVE);
          const data = cut >= 0 ? chunk.subarray(0, cut) : chunk;
          // Typed while the device is away: lost, as on a terminal with no line; the note said so.
          if (data.length > 0) keeper.write(data).catch(() => undefined);
          if (cut >= 0) resolve();
        };
        stdin.on('data', onInput);
        stdin.once('end', resolve);
      });
      off();
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      await keeper.close();
      process.stderr.write('\r\nleft the console\r\n');
    }));
}

/** One line on stderr for each change; the first open has its own greeting. */
function note(path: string, e: ConsoleEvent): void {
  const line = e.kind === 'missing' ? `${path} is not there (${e.reason}); waiting for it, Ctrl-] to leave`
    : e.kind === 'gone' ? `${path} went away (${e.reason}); waiting for it to come back`
      : e.kind === 'back' ? `${path} is back after ${((e.gapMs ?? 0) / 1000).toFixed(1)} s`
        : e.gapMs !== undefined ? `${path} appeared after ${(e.gapMs / 1000).toFixed(1)} s` : undefined;
  if (line) process.stderr.write(`\r\n[${line}]\r\n`);
}
