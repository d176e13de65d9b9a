/**
 * Stopping a child process the way every long-lived one here is stopped: SIGTERM, then SIGKILL
 * if it has not exited within a grace period. Resolves once it has exited; a child already gone
 * is left alone.
 */
import type { ChildProcess } from 'node:child_process';

const gone = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Resolves when `child` has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (gone(child) ? resolve() : child.once('exit', () => resolve())));
}

/** `exited`: the caller's own promise of the exit, when it keeps one. */
export async function stopChild(child: ChildProcess, graceMs: number, exited: Promise<unknown> = exitOf(child)): Promise<void> {
  if (gone(child)) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
