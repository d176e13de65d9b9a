/**
 * Every refusal of an image names the check that failed (docs/images.md, "Checks and their
 * names"), so a user knows whether to rebuild, re-sign, re-download or pick another key.
 */
export type ImageCheck = 'header' | 'manifest' | 'size' | 'signature' | 'blocks' | 'payload' | 'archive' | 'board';

export class ImageError extends Error {
  constructor(readonly check: ImageCheck, readonly source: string, readonly detail: string) {
    super(`${source}: ${check}: ${detail}`);
    this.name = 'ImageError';
  }
}
