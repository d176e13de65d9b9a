/**
 * `deskbox monitor --json` running beside a test, as a user leaves it running: its output is
 * collected as it comes, and it is stopped the way Ctrl-C or a service manager stops it.
 */
import { spawn } from 'node:child_process';
import { DESKBOX_CLI } from './deskbox.ts';
import { waitFor } from './wait.ts';

export interface MonitorProcess {
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code once it has ended. */
  stop(): Promise<number | null>;
  /** For clean-up after a failure: SIGKILL if it still runs. */
  kill(): void;
}

export function startMonitor(state: string, intervalMs = 200): MonitorProcess {
  const child = spawn(process.execPath, [DESKBOX_CLI, 'monitor', '--state', state, '--json', '--interval', String(intervalMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d; });
  child.stderr.on('data', (d: Buffer) => { err += d; });
  return {
    stdout: () => out,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      await waitFor(() => child.exitCode !== null || child.signalCode !== null, { timeoutMs: 10_000, what: 'monitor to stop' });
      return child.exitCode;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
