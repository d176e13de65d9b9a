/**
 * The hardware around one simulated board: its hwmon sensor files, GPIO line files, and a
 * serial console through a link emulator (baud rate, latency, noise, unplugs) whose host end
 * (`console/port`) is free for `deskbox console` and `deskbox flash`; everything the board
 * prints goes into console.log from the first byte. The board's own config points its real
 * bindings at these.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import { writeJsonAtomic } from '../locations/json-files.ts';
import type { LinkEmulator } from './link-emulator.ts';
import { openBoardConsole } from './board-console.ts';
import type { OpenPair } from './pty-host.ts';
import { POWER_OFF, createHwmonWriter } from './power-model.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { BoardConfigFile, NetConfig } from '../../board/config/board-config.ts';
import type { Logger } from '../../platform/log.ts';

export interface SimBoard {
  id: string;
  hwmon: ReturnType<typeof createHwmonWriter>;
  link: LinkEmulator;
  /** The board's UART, for U-Boot before Linux and the agent own it. */
  openUart(): Promise<SerialLink>;
  close(): Promise<void>;
}

/** `broker`: its URL (a cluster's every node in `urls`) and the CA file the board verifies it with; `openPair`: where its console's pty pairs come from (the desk's pty host); `net`: its place on the desk LAN (desk-lan.ts), if the desk has one. */
export async function prepareSimBoard(layout: DeskLayout, desk: DeskFile, id: string, broker: { url: string; caFile: string; urls?: string[] }, trustedKey: string, logger: Logger, openPair: OpenPair, net?: NetConfig): Promise<SimBoard> {
  const paths = layout.board(id);
  await Promise.all([paths.hwmonDir, paths.gpioDir, paths.consoleDir, paths.flashDir].map((d) => mkdir(d, { recursive: true })));
  const hwmon = createHwmonWriter(paths.hwmonDir, 'ina219');
  hwmon.write(POWER_OFF);
  const serial = await openBoardConsole(paths, desk, id, logger, openPair);
  const { link } = serial;
  // Only what this desk decides; the rest comes from the booted image's defaults, then the agent's.
  const config: BoardConfigFile = {
    v: 1,
    desk: desk.desk,
    board: id,
    broker: { url: broker.url, ...(broker.urls ? { urls: broker.urls } : {}), username: id, passwordFile: paths.passwordFile, caFile: broker.caFile },
    tags: desk.tags[id] ?? [],
    keepaliveS: desk.keepaliveS,
    telemetryPeriodS: desk.telemetryPeriodS,
    hardware: { power: paths.hwmonDir, gpio: `sim:${paths.gpioDir}`, gpioLines: {}, console: link.boardPath, consoleBaud: desk.console.baud },
    guests: {
      runtime: desk.guests.runtime, stateDir: paths.ramStateDir,
      maxGuests: desk.guests.maxPerBoard,
    },
    images: { storeDir: paths.storeDir, trustedKeys: [trustedKey], boardType: 'sim', sharedBlobsDir: join(layout.carriedStoreDir, 'blobs') },
    boot: { unpackDir: layout.bootCacheDir },
    bootInfo: paths.bootInfo,
    flash: { dir: paths.flashDir },
    ...(net ? { net } : {}),
    ...(desk.health.schedule ? { health: { schedule: desk.health.schedule } } : {}),
  };
  await writeJsonAtomic(paths.configFile, config);
  return {
    id,
    hwmon,
    link,
    openUart: () => serialportBinding().open(link.boardPath, { baudRate: desk.console.baud }),
    close: () => serial.close(),
  };
}
