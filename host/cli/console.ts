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
import { deskFileOption, stateOption } from './options.ts';
import { loadDeskYaml } from '../locations/desk-yaml.ts';
import { resolveConsoles } from '../real-desk/console-paths.ts';
import { defaultAdapterSources, listAdapters } from '../real-desk/adapters.ts';
import { boardConsoleLogPath } from '../flash/console-log.ts';
import { action } from './run.ts';

const LEAVE = 0x1d;

/** A board id of a desk file or of the simulated desk in `state`, or a device path as given. */
export async function resolvePort(target: string, state: string, deskFile?: string): Promise<{ path: string; baud?: number; log?: string }> {
  if (target.includes('/') || !isValidId(target)) return { path: target };
  if (deskFile) {
    const real = await loadDeskYaml(deskFile);
    if (!real.boards[target]) throw new Error(`no board "${target}" in ${real.file} (boards: ${Object.keys(real.boards).join(', ')})`);
    const [c] = await resolveConsoles(real, async () => (await listAdapters(defaultAdapterSources())).adapters, [target]);
    // A stable path that leads nowhere now is waited for, like an unplugged adapter; no path at all is not.
    if (!c!.path) throw new Error(`${target}: ${c!.problem}`);
    return { path: c!.path, baud: c!.baud, log: boardConsoleLogPath(state, target) };
  }
  const port = deskLayout(state).board(target).consolePort;
  // The link itself, not where it leads: with the board's adapter unplugged it dangles, and
  // the console waits for the device to come back.
  if (!lstatSync(port, { throwIfNoEntry: false })) throw new Error(`no console port for board "${target}" in ${deskLayout(state).root} (is the desk up? or give a device path)`);
  return { path: port };
}

export function registerConsole(program: Command): void {
  stateOption(program.command('console'))
    .description('attach this terminal to a board\'s serial console (Ctrl-] to leave)')
    .argument('<board|port>', 'a board (b03: of --desk-file, or of the simulated desk) or a serial device (/dev/ttyUSB3)')
    .option('--baud <rate>', 'baud rate (default: the desk file\'s, else 115200)', (x) => Number(x))
    .option(...deskFileOption())
    .action(action(async (target: string, o: { state: string; baud?: number; deskFile?: string }) => {
      const { path, baud: fileBaud, log } = await resolvePort(target, o.state, o.deskFile);
      const baud = o.baud ?? fileBaud ?? 115200;
      // A replugged adapter (or one not there yet) no longer ends the session: the keeper
      // waits for the device, and the terminal gets one line when it goes and comes back.
      const keeper = await openConsoleKeeper({ path, baud, label: target, onEvent: (e) => note(path, e), ...(log && { logFile: log }) });
      if (keeper.state() === 'open') process.stderr.write(`connected to ${path} at ${baud} baud; Ctrl-] to leave\r\n`);
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
