/** Runs the built `deskbox` CLI the way a user does, and looks for processes left behind. */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function deskbox(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(process.execPath, ['dist/deskbox.mjs', ...args], { timeout: timeoutMs });
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string; code?: number | string; signal?: string; killed?: boolean };
    const how = e.killed ? `killed by ${e.signal} after the ${timeoutMs} ms limit` : `exit ${e.code ?? '?'}${e.signal ? ` (${e.signal})` : ''}`;
    throw new Error(`deskbox ${args.join(' ')} failed (${how}): ${e.stderr || e.stdout || e.message}`);
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

/** The tail of every log a desk wrote, so a failing end-to-end test says what the desk saw. */
export async function deskLogs(state: string, lines = 8): Promise<string> {
  const files = ['supervisor.log', ...(await readdir(join(state, 'logs')).catch(() => [])).map((f) => join('logs', f))];
  const parts = await Promise.all(files.map(async (f) => {
    const text = await readFile(join(state, f), 'utf8').catch(() => '');
    return `--- ${f}\n${text.trim().split('\n').slice(-lines).join('\n')}`;
  }));
  return parts.join('\n');
}

/** Runs `body`; if it fails, the error carries the desk's logs. */
export async function withDeskLogs(state: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    (err as Error).message += `\n${await deskLogs(state)}`;
    throw err;
  }
}
