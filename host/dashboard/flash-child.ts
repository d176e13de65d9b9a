/**
 * Runs a dashboard flash job as `deskbox flash --json` in a child process: the desk's
 * supervisor, which serves the dashboard, is busy with every board's console and power, and a
 * child keeps a flash of 490 boards off that event loop and ends cleanly when killed.
 */
import { spawn } from 'node:child_process';
import * as v from 'valibot';
import { describeIssues } from '../../broker/contract/messages.ts';
import type { Logger } from '../../platform/log.ts';
import type { FlashRun, FlashRunner } from './flash-jobs.ts';

export interface ChildFlashOptions {
  /** The deskbox entry point (dist/deskbox.mjs, or host/cli/main.ts under tsx). */
  cli: string;
  state: string;
  image: string;
  logger: Logger;
}

const STOP_GRACE_MS = 5_000;
/** Kept of the child's stderr, to say why it failed. */
const STDERR_TAIL = 2048;

// What `deskbox flash --json` prints (host/cli/flash.ts): its results, or an error.
const OutputSchema = v.union([
  v.object({
    ok: v.boolean(),
    results: v.array(v.object({
      label: v.string(),
      ok: v.boolean(),
      method: v.optional(v.string()),
      error: v.optional(v.object({ code: v.string(), phase: v.string(), message: v.string() })),
      attempts: v.number(),
      ms: v.number(),
    })),
  }),
  v.object({ ok: v.literal(false), error: v.string() }),
]);

function readOutput(stdout: string, stderr: string, how: string): FlashRun {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    return { results: [], error: `deskbox flash ${how} without a result${stderr.trim() ? `: ${stderr.trim()}` : ''}` };
  }
  const parsed = v.safeParse(OutputSchema, json);
  if (!parsed.success) return { results: [], error: `deskbox flash printed an unexpected result: ${describeIssues(parsed.issues)}` };
  const out = parsed.output;
  if (!('results' in out)) return { results: [], error: out.error };
  return { results: out.results.map(({ label, ...r }) => ({ board: label, ...r })) };
}

export function childFlashRunner(o: ChildFlashOptions): FlashRunner {
  return (boards, signal) => new Promise<FlashRun>((resolve) => {
    // --board takes the ids as they are; --boards would read them as a set (ranges, tags).
    const args = [...process.execArgv, o.cli, 'flash', '--state', o.state, '--image', o.image, '--boards', boards.join(','), '--json'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-STDERR_TAIL); });
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    };
    signal.addEventListener('abort', stop, { once: true });
    o.logger.debug('flash child started', { pid: child.pid, boards: boards.length });
    child.once('error', (err) => {
      signal.removeEventListener('abort', stop);
      resolve({ results: [], error: `deskbox flash did not start: ${err.message}` });
    });
    child.once('close', (code, sig) => {
      clearTimeout(killTimer);
      signal.removeEventListener('abort', stop);
      if (signal.aborted) return resolve({ results: [], error: 'stopped: the dashboard closed' });
      resolve(readOutput(stdout, stderr, sig ? `was killed by ${sig}` : `exited with code ${code}`));
    });
  });
}
