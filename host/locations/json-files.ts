/** The desk's state files: JSON, written durably (write -> fsync -> rename). */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../platform/atomic-file.ts';

export async function writeJsonAtomic(file: string, value: unknown, mode?: number): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', { durable: true, mode });
}

export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
