/** A process's memory as the kernel accounts it: anonymous pages vs. everything resident. */
import { readFile } from 'node:fs/promises';

export interface ProcMemory {
  anonymousMB: number;
  rssMB: number;
}

export async function procMemory(pid: number): Promise<ProcMemory> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m) throw new Error(`no ${field} in /proc/${pid}/smaps_rollup`);
    return Number(m[1]);
  };
  return { anonymousMB: kb('Anonymous') / 1024, rssMB: kb('Rss') / 1024 };
}
