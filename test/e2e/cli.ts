/** Runs the built `deskbox` CLI the way a user does, and looks for processes left behind. */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function deskbox(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(process.execPath, ['dist/deskbox.mjs', ...args], { timeout: timeoutMs });
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`deskbox ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/** Pids of live processes whose command line mentions `needle` (e.g. a desk's state folder). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) found.push(Number(entry));
  }
  return found;
}
