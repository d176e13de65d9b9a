/**
 * Everything the installer reads before it writes: the trusted keys, the board image (checked
 * whole, as the boot program will check its slot), the broker's CA and the Node to run. Any
 * failure here ends the install with nothing written.
 */
import { access, constants, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { loadPublicKey, parsePublicKey, type PublicKey } from '../../images/format/keys.ts';
import type { Manifest } from '../../images/format/manifest.ts';
import { NODE_RUNTIME_PATH } from '../../images/format/board-payload.ts';
import { verifyImageFile } from '../../images/verify-file.ts';
import { BOARD_PATHS } from './board-paths.ts';
import { InstallError, type InstallOptions } from './install-options.ts';

export interface InstallInputs {
  keys: PublicKey[];
  manifest: Manifest;
  boardType: string;
  caPem?: string;
  /** The boot program running now: the payload's agent/board-boot.mjs, or dist/board-boot.mjs. */
  bootProgram: string;
  /** The Node the unit runs, as the board sees it; `copyFrom` when it comes from the payload. */
  node: { path: string; copyFrom?: string };
}

async function loadKey(spec: string): Promise<PublicKey> {
  try {
    return spec.startsWith('ed25519:') ? parsePublicKey(spec, 'key') : await loadPublicKey(resolve(spec));
  } catch (e) {
    throw new InstallError(`--trust ${(e as Error).message}`);
  }
}

/** The payload's Node runtime, when this boot program was unpacked from a payload that carries one. */
async function carriedNode(bootProgram: string): Promise<string | undefined> {
  const node = join(dirname(bootProgram), '..', NODE_RUNTIME_PATH);
  return access(node, constants.X_OK).then(() => node, () => undefined);
}

export async function readInstallInputs(opts: InstallOptions, bootProgram: string): Promise<InstallInputs> {
  const keys = await Promise.all(opts.trust.map(loadKey));
  const verdict = await verifyImageFile(opts.image, { keys, boardType: opts.boardType }).catch((e: Error) => {
    throw new InstallError(`--image ${opts.image}: ${e.message}`);
  });
  if (!verdict.ok) throw new InstallError(`${verdict.error!.message}; nothing was written`);
  const manifest = verdict.manifest!;
  if (!manifest.board) throw new InstallError(`${opts.image} is a ${manifest.kind} image, not a board image; nothing was written`);
  let caPem: string | undefined;
  if (opts.ca) {
    caPem = await readFile(opts.ca, 'utf8').catch((e: Error) => { throw new InstallError(`--ca: ${e.message}`); });
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new InstallError(`--ca ${opts.ca}: no PEM certificate in it`);
  }
  const fromPayload = opts.node ? undefined : await carriedNode(bootProgram);
  return {
    keys, manifest, boardType: opts.boardType ?? manifest.board.type, ...(caPem ? { caPem } : {}), bootProgram,
    node: opts.node ? { path: opts.node } : fromPayload ? { path: BOARD_PATHS.node, copyFrom: fromPayload } : { path: process.execPath },
  };
}
