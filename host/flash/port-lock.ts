/**
 * One flash per serial port at a time, across processes: two tools writing to one console
 * would interleave their bytes and brick nothing but waste both. The lock is a file named
 * after the port's real path, holding the owner's pid; a lock whose owner is gone is taken over.
 */
import { createHash } from 'node:crypto';
import { open, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '../locations/desk-file.ts';
import { FlashFailure } from './flash-failure.ts';

export async function lockPort(port: string): Promise<() => Promise<void>> {
  const real = await realpath(port).catch(() => port);
  const file = join(tmpdir(), `deskbox-flash-${createHash('sha256').update(real).digest('hex').slice(0, 16)}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (owner && isAlive(owner)) throw new FlashFailure('busy', 'hello', `${port} is being flashed by another deskbox (pid ${owner})`);
      await rm(file, { force: true });
    }
  }
  throw new FlashFailure('busy', 'hello', `could not lock ${port}`);
}
