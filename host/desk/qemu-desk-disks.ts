/**
 * The disks of a desk's QEMU boards, made by `desk up` before the supervisor starts them: an
 * armv7 board image signed with the desk key (unless the user gave one), then each board's
 * disk (host/qemu/prepare-board.ts) installed the way a real Debian board is, with the desk's
 * CA and the name it reaches the broker's TLS listener by. A disk is kept across `desk up`s,
 * A/B slots and all, until the image to program changes, as a simulated board's flash is.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeskLayout } from '../locations/layout.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import { AGENT_VERSION } from '../../board/version.ts';
import { loadPrivateKey } from '../../images/format/keys.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { armhfCacheDir, openArmhfCache } from '../../images/toolchain/armhf.ts';
import { buildGuestImage } from '../../images/build-guest.ts';
import type { Logger } from '../../platform/log.ts';
import { readImageHead } from '../../images/verify-file.ts';
import { agentBundlePath, bootProgramPath, packageRoot } from '../locations/package-paths.ts';
import { openQemuBoardOs, qemuOsDir } from '../qemu/os-cache.ts';
import { DISK_FILE, prepareQemuBoardDisk } from '../qemu/prepare-board.ts';
import { boardBrokerTlsUrl } from '../qemu/machine.ts';
import { QEMU_BROKER_NAME } from '../tls/cert-names.ts';
import { inputsTime } from './desk-images.ts';

/** The board type of the QEMU boards' images: `image build board --type qemu-virt --arch armv7`. */
export const QEMU_BOARD_TYPE = 'qemu-virt';
/** Next to a disk: the payload it was made from. */
const MADE_FROM = 'disk.image-sha256';

export const qemuDiskPath = (layout: DeskLayout, board: string) => join(layout.board(board).dir, DISK_FILE);

/**
 * Carries an armv7 busybox guest when the armhf cache has one (scripts/fetch-armhf.sh), for
 * `guests start`. This image goes onto the disk directly; images for U-Boot's ~10 KB/s line
 * are best built without guests.
 */
async function buildQemuBoardImage(layout: DeskLayout, logger: Logger): Promise<string> {
  const root = packageRoot();
  const agent = agentBundlePath();
  const bootProgram = bootProgramPath();
  const key = await loadPrivateKey(layout.privateKey);
  const { busybox } = openArmhfCache(armhfCacheDir(root));
  const guests = existsSync(busybox)
    ? [(await buildGuestImage({ out: layout.qemuGuestImage, busybox, arch: 'armv7', key, logger, created: await inputsTime([busybox, layout.privateKey]) })).file]
    : [];
  await buildBoardImage({
    out: layout.qemuBoardImage, agent, agentVersion: AGENT_VERSION, guests, created: await inputsTime([agent, bootProgram, layout.privateKey, ...(guests.length ? [busybox] : [])]),
    bootProgram, runtime: { root, armhf: armhfCacheDir(root) },
    type: QEMU_BOARD_TYPE, name: 'deskbox-qemu', version: AGENT_VERSION, arch: 'armv7', key,
  });
  return layout.qemuBoardImage;
}

/** Returns the boards whose disks were made now. */
export async function prepareQemuDisks(layout: DeskLayout, desk: DeskFile, opts: { image?: string; logger: Logger }): Promise<string[]> {
  if (desk.qemuBoards.length === 0) return [];
  const os = openQemuBoardOs(qemuOsDir(packageRoot()));
  const image = opts.image ?? await buildQemuBoardImage(layout, opts.logger);
  const sha256 = (await readImageHead(image)).manifest.payload.sha256;
  const made: string[] = [];
  for (const board of desk.qemuBoards) {
    const paths = layout.board(board);
    const madeFrom = join(paths.dir, MADE_FROM);
    if (existsSync(qemuDiskPath(layout, board)) && (await readFile(madeFrom, 'utf8').catch(() => '')).trim() === sha256) continue;
    await prepareQemuBoardDisk(paths.dir, os, bootProgramPath(), {
      board, desk: desk.desk, brokerUrl: boardBrokerTlsUrl(QEMU_BROKER_NAME), brokerName: QEMU_BROKER_NAME,
      password: (await readFile(paths.passwordFile, 'utf8')).trim(), trust: layout.publicKey, ca: layout.tls.caCert, image,
    });
    await writeFile(madeFrom, `${sha256}\n`);
    made.push(board);
  }
  return made;
}
