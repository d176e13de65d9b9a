/**
 * The images a simulated desk runs: the desk's signing keys (made once), the busybox guest
 * image and a board image carrying it with the current agent bundle, then the "factory
 * programming" of every board whose active slot holds something else: the image goes into
 * the inactive slot and the boot environment switches to it, as a flashing tool would.
 * A user's own board image (`desk up --board-image`) replaces the built one.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import type { Logger } from '../../platform/log.ts';
import { ensurePrivateDir } from '../../platform/private-files.ts';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { otherSlot } from '../../board/flash/boot-env.ts';
import { AGENT_VERSION } from '../../board/version.ts';
import { generateKeys, loadPrivateKey, loadPublicKey, type PublicKey } from '../../images/format/keys.ts';
import { hostArch } from '../../images/format/manifest.ts';
import { defaultBusyboxPath } from '../../images/busybox-rootfs.ts';
import { buildGuestImage } from '../../images/build-guest.ts';
import { buildBoardImage } from '../../images/build-board.ts';
import { readImageHead, verifyImageFile } from '../../images/verify-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import { unpackCarriedGuests } from './desk-carried.ts';
import { agentBundlePath, bootProgramPath, packageRoot } from '../locations/package-paths.ts';

export const SIM_BOARD_TYPE = 'sim';

export class DeskImageError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'DeskImageError';
  }
}

export async function ensureDeskKeys(layout: DeskLayout): Promise<PublicKey> {
  // The private key's folder is owner-only too, as `deskbox keys init` makes it.
  await ensurePrivateDir(layout.keysDir);
  if (!existsSync(layout.privateKey)) {
    const { privatePem, publicKey } = generateKeys();
    await writeFileAtomic(layout.privateKey, privatePem, { durable: true, mode: 0o600 });
    await writeFileAtomic(layout.publicKey, publicKey.text + '\n', { durable: true });
  }
  return loadPublicKey(layout.publicKey);
}

/** The newest input's time: unchanged inputs give a byte-identical image, so boards are not re-programmed. */
export async function inputsTime(files: string[]): Promise<Date> {
  const times = await Promise.all(files.map(async (f) => (await stat(f)).mtimeMs));
  return new Date(Math.floor(Math.max(...times) / 1000) * 1000);
}

/** Builds the desk's guest and board images; returns the board image to program. */
async function buildDeskImages(layout: DeskLayout, logger: Logger): Promise<string> {
  const key = await loadPrivateKey(layout.privateKey);
  const guests: string[] = [];
  const busybox = defaultBusyboxPath();
  const agent = agentBundlePath();
  const bootProgram = bootProgramPath();
  if (busybox) {
    const g = await buildGuestImage({ out: layout.guestImage, busybox, key, logger, created: await inputsTime([busybox, layout.privateKey]) });
    guests.push(g.file);
  } else {
    logger.warn('no static busybox found (Debian: apt install busybox-static); boards will carry no guest image');
  }
  await buildBoardImage({
    out: layout.boardImage, agent, agentVersion: AGENT_VERSION, guests, created: await inputsTime([agent, bootProgram, layout.privateKey, ...(busybox ? [busybox] : [])]),
    bootProgram, runtime: { root: packageRoot() },
    type: SIM_BOARD_TYPE, name: 'deskbox-sim', version: AGENT_VERSION, arch: hostArch(), key,
  });
  return layout.boardImage;
}

export interface Programmed {
  image: string;
  sha256: string;
  /** Boards whose active slot got the image now. */
  programmed: string[];
}

export async function prepareDeskImages(layout: DeskLayout, boards: string[], opts: { boardImage?: string; logger: Logger }): Promise<Programmed> {
  const publicKey = await ensureDeskKeys(layout);
  const image = opts.boardImage ?? await buildDeskImages(layout, opts.logger);
  const verdict = await verifyImageFile(image, { keys: [publicKey], boardType: SIM_BOARD_TYPE });
  if (!verdict.ok) throw new DeskImageError(`${verdict.error!.message} (boards of this desk trust only ${layout.publicKey})`);
  if (verdict.manifest!.kind !== 'board') throw new DeskImageError(`${image} is a ${verdict.manifest!.kind} image; boards boot board images`);
  const sha256 = verdict.manifest!.payload.sha256;
  await unpackCarriedGuests(layout, image, publicKey, opts.logger);
  const programmed: string[] = [];
  for (const board of boards) {
    const slots = openFlashSlots(layout.board(board).flashDir);
    const env = await slots.readEnv().catch(() => undefined);
    const current = env && await readImageHead(slots.slotFile(env.active)).then((h) => h.manifest.payload.sha256, () => undefined);
    if (current === sha256) continue;
    const slot = env ? otherSlot(env.active) : 'a';
    await slots.install(slot, image);
    await slots.writeEnv({ v: 1, active: slot });
    programmed.push(board);
  }
  return { image, sha256, programmed };
}
