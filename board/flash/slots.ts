/**
 * A board's flash as deskbox sees it: two image slots and the boot environment, as files in
 * one folder (on a real board, a small data partition that U-Boot and Linux both read; in
 * the simulated desk, `boards/<id>/hw/flash/`). A slot is only ever replaced whole, by
 * rename, so the slot being written is either its old image or the new one.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncPath, renameIntoPlace } from '../../platform/atomic-file.ts';
import { readBootEnv, writeBootEnv, type BootEnv, type Slot } from './boot-env.ts';

export interface FlashSlots {
  dir: string;
  envFile: string;
  slotFile(slot: Slot): string;
  readEnv(): Promise<BootEnv | undefined>;
  writeEnv(env: BootEnv): Promise<void>;
  /** Bytes in a slot; 0 when it is empty. */
  slotSize(slot: Slot): Promise<number>;
  /**
   * Puts a finished image file into a slot: linked where the file system allows (the
   * simulated desk programs hundreds of boards with one image), copied otherwise.
   */
  install(slot: Slot, imageFile: string): Promise<void>;
  /** Moves a staged image file (already complete and checked) into a slot, by rename. */
  adopt(slot: Slot, stagedFile: string): Promise<void>;
}

export function openFlashSlots(dir: string): FlashSlots {
  const envFile = join(dir, 'bootenv.json');
  const slotFile = (slot: Slot) => join(dir, `slot-${slot}.dbi`);
  return {
    dir,
    envFile,
    slotFile,
    readEnv: () => readBootEnv(envFile),
    writeEnv: (env) => writeBootEnv(envFile, env),
    async slotSize(slot) {
      return (await stat(slotFile(slot)).catch(() => undefined))?.size ?? 0;
    },
    async adopt(slot, stagedFile) {
      await fsyncPath(stagedFile);
      await rename(stagedFile, slotFile(slot));
      await fsyncPath(dir);
    },
    async install(slot, imageFile) {
      const dest = slotFile(slot);
      const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString('hex')}.tmp`);
      await mkdir(dirname(dest), { recursive: true });
      await link(imageFile, tmp).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EXDEV' && e.code !== 'EPERM') throw e;
        await copyFile(imageFile, tmp).catch(async (err: unknown) => { await rm(tmp, { force: true }); throw err; });
      });
      await renameIntoPlace(tmp, dest);
    },
  };
}
