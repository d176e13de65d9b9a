/**
 * A scheduled command run as deskbox itself would be by a person: `node <cli> <argv...>` with
 * the desk's state folder in DESKBOX_STATE (every command's default), its output kept to the
 * last lines for the run's record.
 */
import { spawn } from 'node:child_process';
import type { CommandOutcome } from './service.ts';

const TAIL_LINES = 20;

/** `stopAll`: ends every command still running (SIGTERM: a `run` writes its bundle and stops its guests). */
export function deskboxRunner(cli: string, state: string) {
  const children = new Set<ReturnType<typeof spawn>>();
  const run = (argv: string[]): Promise<CommandOutcome> => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...argv], { env: { ...process.env, DESKBOX_STATE: state }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let lines: string[] = [];
    const keep = (chunk: Buffer) => {
      lines = [...lines, ...chunk.toString('utf8').split('\n').filter(Boolean)].slice(-TAIL_LINES);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ exitCode: code ?? 128, tail: [...lines, ...(signal ? [`(ended by ${signal})`] : [])].join('\n') }));
  });
  return { run, stopAll: () => { for (const c of children) c.kill('SIGTERM'); } };
}
