/**
 * The hardware around one simulated board: its hwmon sensor files, GPIO line files, and a
 * serial console on a real pty pair whose host end the desk captures into console.log.
 * The board's own config points its real bindings at these.
 */
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeskFile } from './desk-file.ts';
import type { DeskLayout } from './layout.ts';
import { writeJsonAtomic } from './files.ts';
import { openPtyPair } from './pty-pair.ts';
import { POWER_OFF, createHwmonWriter } from './power-model.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import type { BoardConfigFile } from '../../board/config.ts';
import type { Logger } from '../../board/runtime/log.ts';

export interface BootConsole {
  say(line: string): void;
  close(): Promise<void>;
}

export interface SimBoard {
  id: string;
  hwmon: ReturnType<typeof createHwmonWriter>;
  /** The board end of the console, for the boot ROM's lines before the agent owns it. */
  openBootConsole(): Promise<BootConsole>;
  close(): Promise<void>;
}

export async function prepareSimBoard(layout: DeskLayout, desk: DeskFile, id: string, brokerUrl: string, trustedKey: string, logger: Logger): Promise<SimBoard> {
  const paths = layout.board(id);
  await Promise.all([paths.hwmonDir, paths.gpioDir, paths.consoleDir, paths.flashDir].map((d) => mkdir(d, { recursive: true })));
  const hwmon = createHwmonWriter(paths.hwmonDir, 'ina219');
  await hwmon.write(POWER_OFF);
  const pty = await openPtyPair(paths.consoleDir, 'tty');
  const log = await open(paths.consoleLog, 'a');
  const hostEnd = await serialportBinding().open(pty.hostPath, { baudRate: 115200 });
  // Console output is kept whole, from the first byte, so early boot output is never lost.
  hostEnd.onData((chunk) => { log.write(chunk).catch((err: Error) => logger.warn('console log write failed', { board: id, error: err.message })); });
  // Only what this desk decides; the rest comes from the booted image's defaults, then the agent's.
  const config: BoardConfigFile = {
    v: 1,
    desk: desk.desk,
    board: id,
    broker: { url: brokerUrl, username: id, passwordFile: paths.passwordFile },
    keepaliveS: desk.keepaliveS,
    telemetryPeriodS: desk.telemetryPeriodS,
    hardware: { power: paths.hwmonDir, gpio: `sim:${paths.gpioDir}`, gpioLines: {}, console: pty.boardPath, consoleBaud: 115200 },
    guests: {
      runtime: desk.guests.runtime, stateDir: join(layout.ramDir, id),
      maxGuests: desk.guests.maxPerBoard,
    },
    images: { storeDir: paths.storeDir, trustedKeys: [trustedKey], boardType: 'sim' },
    bootInfo: paths.bootInfo,
    flash: { dir: paths.flashDir },
  };
  await writeJsonAtomic(paths.configFile, config);
  return {
    id,
    hwmon,
    async openBootConsole() {
      const fh = await open(pty.boardPath, constants.O_WRONLY | constants.O_NOCTTY);
      let pending = Promise.resolve();
      return {
        say(line) {
          pending = pending.then(() => fh.write(`${line}\r\n`)).then(() => undefined, (err: Error) => logger.warn('boot console write failed', { board: id, error: err.message }));
        },
        async close() {
          await pending;
          await fh.close();
        },
      };
    },
    async close() {
      await hostEnd.close().catch(() => undefined);
      await pty.close();
      await log.close();
    },
  };
}
