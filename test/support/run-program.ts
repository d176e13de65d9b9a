/** Runs a program to its end and collects its output (for CLI-level tests). */
import { spawn } from 'node:child_process';

export interface ProgramResult { code: number | null; stdout: string; stderr: string }

export function runProgram(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
