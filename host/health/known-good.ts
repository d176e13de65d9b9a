/**
 * Each board's last known-good board image: the image it ran when it last passed a self-check
 * while healthy. Recovery reflashes that one, so a desk that flashed a newer image is not
 * rolled back to the image it started with; a board with none kept gets the desk's image.
 *
 * Kept in `<state>/known-good/`: `boards.json` (board -> image) and one copy of each image,
 * named by its payload SHA-256, shared by every board that ran it (490 boards, one copy). A
 * copy is verified before it is kept and again before it is flashed: a damaged copy falls back
 * to the desk's image rather than flashing rot into a board.
 */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { verifyImageFile } from '../../images/verify-file.ts';
import { readJsonIfExists, writeJsonAtomic } from '../locations/json-files.ts';
import type { HealthState } from './policy.ts';

export interface KnownGoodImage {
  sha256: string;
  version: string;
  /** The image file to flash. */
  file: string;
}

type Recorded = Omit<KnownGoodImage, 'file'>;

/** Which image each board is reflashed with; `fallbackBecause` says why a kept one was not used. */
export interface BoardImages {
  forBoard(board: string): Promise<KnownGoodImage & { fallbackBecause?: string }>;
}

export class RecoveryImageError extends Error {
  override readonly name = 'RecoveryImageError';
  constructor(readonly file: string, detail: string) {
    super(`the desk's board image ${file} does not verify: ${detail}`);
  }
}

/** The desk's own board image, checked: what boards with nothing kept are reflashed with. */
export async function verifiedBoardImage(file: string): Promise<KnownGoodImage> {
  const verdict = await verifyImageFile(file);
  if (!verdict.ok || !verdict.manifest) throw new RecoveryImageError(file, verdict.error?.message ?? 'no manifest');
  if (verdict.manifest.kind !== 'board') throw new RecoveryImageError(file, `a ${verdict.manifest.kind} image, not a board image`);
  return { sha256: verdict.manifest.payload.sha256, version: verdict.manifest.version, file };
}

export class KnownGoodError extends Error {
  constructor(readonly board: string, readonly source: string, detail: string) {
    super(`known-good image of ${board} from ${source}: ${detail}`);
    this.name = 'KnownGoodError';
  }
}

/** Whether a self-check report makes the image the board booted its new known-good one. */
export function worthRemembering(o: { reportOk: boolean; state: HealthState; booted?: Recorded; recorded?: Recorded }): boolean {
  return o.reportOk && o.state === 'healthy' && o.booted !== undefined && o.booted.sha256 !== o.recorded?.sha256;
}

/** The file's payload SHA-256 and version if it verifies whole (its signature is the board's to check). */
async function intact(file: string): Promise<Recorded | undefined> {
  const verdict = await verifyImageFile(file);
  return verdict.ok && verdict.manifest ? { sha256: verdict.manifest.payload.sha256, version: verdict.manifest.version } : undefined;
}

/** `fallback`: the desk's own board image, for boards with nothing (intact) kept. */
export async function openKnownGood(dir: string, fallback: KnownGoodImage) {
  await mkdir(dir, { recursive: true });
  const boardsFile = join(dir, 'boards.json');
  const boards = new Map(Object.entries((await readJsonIfExists<Record<string, Recorded>>(boardsFile)) ?? {}));
  const copyOf = (sha256: string) => join(dir, `${sha256}.dbi`);
  // Copies this store checked or made: hundreds of boards on one image read it once, not each.
  const checked = new Set<string>();
  // One at a time: two boards on a new image would copy it into the same place, and
  // boards.json written twice at once could end with the older of the two.
  let remembering: Promise<void> = Promise.resolve();

  /** Copies `source` in unless an intact copy is there; the copy, not the source, is what is checked. */
  const keep = async (board: string, image: Recorded, source: string): Promise<void> => {
    const kept = copyOf(image.sha256);
    if (checked.has(image.sha256) && existsSync(kept)) return;
    if (existsSync(kept) && (await intact(kept))?.sha256 === image.sha256) {
      checked.add(image.sha256);
      return;
    }
    const tmp = `${kept}.${process.pid}.tmp`;
    try {
      await copyFile(source, tmp).catch((e: Error) => { throw new KnownGoodError(board, source, `not copied: ${e.message}`); });
      const copied = await intact(tmp);
      if (copied?.sha256 !== image.sha256) throw new KnownGoodError(board, source, copied ? `holds ${copied.sha256.slice(0, 12)}, the board booted ${image.sha256.slice(0, 12)}` : 'does not verify');
      await rename(tmp, kept);
      checked.add(image.sha256);
    } finally {
      await rm(tmp, { force: true });
    }
  };

  return {
    recorded: (board: string): Recorded | undefined => boards.get(board),

    /** Remembers `image` (booted from `source`) as the board's known-good one. */
    remember(board: string, image: Recorded, source: string): Promise<void> {
      const next = remembering.then(async () => {
        await keep(board, image, source);
        boards.set(board, { sha256: image.sha256, version: image.version });
        await writeJsonAtomic(boardsFile, Object.fromEntries(boards));
      });
      remembering = next.catch(() => undefined);
      return next;
    },

    /**
     * The image to reflash `board` with: its kept known-good one if intact, else the fallback,
     * saying why when the board had one kept (for the recovery's log).
     */
    async forBoard(board: string): Promise<KnownGoodImage & { fallbackBecause?: string }> {
      const recorded = boards.get(board);
      if (!recorded) return fallback;
      const file = copyOf(recorded.sha256);
      const copy = existsSync(file) ? await intact(file) : undefined;
      if (copy?.sha256 === recorded.sha256) return { ...recorded, file };
      return { ...fallback, fallbackBecause: `the kept copy of ${recorded.version} (${file}) ${existsSync(file) ? 'does not verify' : 'is gone'}` };
    },
  };
}

export type KnownGoodStore = Awaited<ReturnType<typeof openKnownGood>>;
