/**
 * The built `deskbox` CLI run the way a user runs it (npm run build first), and looking for
 * processes left behind.
 */
import { readdir, readFile } from 'node:fs/promises';
import { runProgram, type ProgramResult } from './run-program.ts';

export const DESKBOX_CLI = new URL('../../dist/deskbox.mjs', import.meta.url).pathname;

/** `deskbox <args>` with its exit code and output, whatever they are: for tests about failures. */
export function runDeskbox(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ProgramResult> {
  return runProgram(process.execPath, [DESKBOX_CLI, ...args], opts);
}

/** `deskbox <args>`, which must exit 0: rejects with its exit code and output otherwise. */
export async function deskbox(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  const r = await runDeskbox(args, { timeoutMs });
  if (r.code === 0) return { stdout: r.stdout, stderr: r.stderr };
  const how = r.timedOut ? `killed by ${r.signal} after the ${timeoutMs} ms limit` : `exit ${r.code ?? '?'}${r.signal ? ` (${r.signal})` : ''}`;
  throw new Error(`deskbox ${args.join(' ')} failed (${how}): ${[r.stderr, r.stdout].filter(Boolean).join('\n')}`);
}

/** Pids of live processes whose command line mentions `needle` (e.g. a desk's state folder); `program`: only those running it. */
export async function processesMentioning(needle: string, program?: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle) && (program === undefined || cmd.startsWith(`${program}\0`))) found.push(Number(entry));
  }
  return found;
}

/** socat processes whose command line names something in `dir` (the pty pairs a test made). */
export const socatsUsing = (dir: string) => processesMentioning(dir, 'socat');
