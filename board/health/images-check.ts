/**
 * The `images` self-check: the board's image store opened, and every installed image's guest
 * root is there and not empty (a blob the SD card lost, or a half-deleted one, would fail the
 * next guest of that image). Contents were checked against the image's hash when installed.
 */
import { readdir } from 'node:fs/promises';
import type { HealthCheck } from '../ops/health-check.ts';

export interface StoreView {
  list(): { name: string }[];
  resolve(name: string): string | undefined;
}

/** `store`: the store once open (waiting while it opens), or undefined when it did not open. */
export function imagesCheck(store: () => Promise<StoreView | undefined>): HealthCheck {
  return {
    name: 'images',
    async run() {
      const s = await store();
      if (!s) return { ok: false, detail: 'the image store did not open (see the board\'s log)' };
      const images = s.list();
      const broken: string[] = [];
      for (const { name } of images) {
        const root = s.resolve(name);
        const entries = root ? await readdir(root).catch(() => []) : [];
        if (entries.length === 0) broken.push(name);
      }
      if (broken.length > 0) return { ok: false, detail: `${broken.length} of ${images.length} images have no guest root: ${broken.join(', ')}` };
      return { ok: true, detail: `${images.length} image${images.length === 1 ? '' : 's'} intact` };
    },
  };
}
