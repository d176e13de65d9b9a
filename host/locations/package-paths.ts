/** Finds files of the deskbox package itself, whether running from dist/ or from source. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/** The bundled board agent that simulated boards run (built by `npm run build`). */
export function agentBundlePath(): string {
  const file = join(packageRoot(), 'dist', 'board.mjs');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  return file;
}

/** The board-side boot program (board/boot/main.ts) that simulated boards boot through, as real ones do. */
export function bootProgramPath(): string {
  const file = join(packageRoot(), 'dist', 'board-boot.mjs');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  return file;
}
