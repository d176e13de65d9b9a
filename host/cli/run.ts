import { basename, relative } from 'node:path';

/**
 * How every subcommand ends: data on stdout, one clear error line on stderr (or a JSON error
 * with --json) and a non-zero exit code on failure: 1, or the error's own `exitCode` (2 for a
 * command line the command itself refuses, as commander's own usage errors exit; main.ts).
 */
export interface OutputOptions {
  json?: boolean;
}

export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (err) {
      const opts = args.find((a): a is OutputOptions => typeof a === 'object' && a !== null && 'json' in a);
      const message = (err as Error).message ?? String(err);
      if (opts?.json) process.stdout.write(JSON.stringify({ ok: false, error: message }) + '\n');
      else process.stderr.write(`deskbox: ${message}\n`);
      if (process.env.DESKBOX_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
      const own = (err as { exitCode?: unknown } | null)?.exitCode;
      process.exitCode = typeof own === 'number' && own > 0 ? own : 1;
    }
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** How the user ran us, for hints they can paste: `deskbox` when linked, else `node <path>`. */
export function invokedAs(argv1 = process.argv[1] ?? 'deskbox'): string {
  if (basename(argv1) === 'deskbox') return 'deskbox';
  const rel = relative(process.cwd(), argv1);
  return `node ${rel.startsWith('..') ? argv1 : rel}`;
}
