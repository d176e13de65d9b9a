/**
 * A desk board's serial console: a link emulator (baud rate, latency, noise, unplugs) whose
 * host end (`console/port`) is free for `deskbox console` and `deskbox flash`, and whose every
 * byte from the board goes into console.log from the first one. The board's end is what the
 * board's UART opens: a simulated board's agent, or a QEMU board's PL011.
 */
import { open, rm, symlink } from 'node:fs/promises';
import type { DeskFile } from '../locations/desk-file.ts';
import type { BoardLayout } from '../locations/layout.ts';
import { openLinkEmulator, type LinkEmulator } from './link-emulator.ts';
import type { OpenPair } from './pty-host.ts';
import type { Logger } from '../../platform/log.ts';
import { PRIVATE_FILE_MODE } from '../../platform/private-files.ts';

export interface BoardConsole {
  link: LinkEmulator;
  close(): Promise<void>;
}

/** `openPair`: the desk's pty host's, or a socat per pair when not given. */
export async function openBoardConsole(paths: BoardLayout, desk: DeskFile, id: string, logger: Logger, openPair?: OpenPair): Promise<BoardConsole> {
  const link = await openLinkEmulator(paths.consoleDir, 'tty', { ...desk.console, bitErrorRate: 0, dropRate: 0 }, openPair ? { openPair } : {});
  await rm(paths.consolePort, { force: true });
  await symlink(link.hostPath, paths.consolePort);
  // What boards print can carry what they were sent: owner-only, as provisioning made it.
  const log = await open(paths.consoleLog, 'a', PRIVATE_FILE_MODE);
  await log.chmod(PRIVATE_FILE_MODE);
  link.onBoardOutput((chunk) => { log.write(chunk).catch((err: Error) => logger.warn('console log write failed', { board: id, error: err.message })); });
  return {
    link,
    async close() {
      await link.close();
      await rm(paths.consolePort, { force: true });
      await log.close();
    },
  };
}
