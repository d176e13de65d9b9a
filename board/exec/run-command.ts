/**
 * Runs one command for `exec` (docs/mqtt.md): no shell, no stdin, the head of its output kept,
 * and a deadline after which its whole process group is killed. Never throws: a command that
 * cannot even start is a result with `error`, so a fleet of replies can be grouped alike.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ExecResult } from '../../broker/contract/commands/exec.ts';
import { readProcStat } from '../../platform/proc-stat.ts';

/** How to start a command: on the board itself, or inside a guest (see GuestRuntime.execCommand). */
export interface SpawnCommand {
  file: string;
  args: string[];
  /** Descriptors the child gets as 3, 4... (a cgroup view's mount namespace). */
  fds?: number[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Where the command writes the pid of the process that runs the user's argv, when that one
   * starts a session of its own (`crun exec --pid-file`): killing our child's group misses it.
   */
  pidFile?: string;
}

export interface RunLimits {
  timeoutMs: number;
  /** Bytes kept of stdout and of stderr each; the rest is read and dropped. */
  captureBytes: number;
  /** Aborting kills the command at once, as a timeout does (the agent is stopping). */
  signal?: AbortSignal;
}

/** After SIGKILL the pipes close within milliseconds, unless something escaped the group with them. */
const PIPE_GRACE_MS = 2000;

export function runCommand(cmd: SpawnCommand, limits: RunLimits): Promise<ExecResult> {
  const started = performance.now();
  const child = spawn(cmd.file, cmd.args, {
    cwd: cmd.cwd, env: cmd.env, detached: true,
    stdio: ['ignore', 'pipe', 'pipe', ...(cmd.fds ?? [])],
  });
  const stdout = capture(child.stdout!, limits.captureBytes);
  const stderr = capture(child.stderr!, limits.captureBytes);
  let timedOut = false;
  let error: string | undefined;
  return new Promise<ExecResult>((resolve) => {
    let grace: NodeJS.Timeout | undefined;
    const kill = () => {
      killGroup(child.pid);
      const inner = cmd.pidFile === undefined ? undefined : pidIn(cmd.pidFile);
      if (inner !== undefined) killGroup(groupOf(inner));
      grace ??= setTimeout(() => finish(child.exitCode, child.signalCode), PIPE_GRACE_MS);
    };
    const timer = setTimeout(() => { timedOut = true; kill(); }, limits.timeoutMs);
    limits.signal?.addEventListener('abort', kill, { once: true });
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      limits.signal?.removeEventListener('abort', kill);
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolve({
        exitCode: code, signal, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated || stderr.truncated,
        elapsedMs: Math.round(performance.now() - started), timedOut, ...(error === undefined ? {} : { error }),
      });
    };
    child.once('error', (e) => { error = e.message; finish(null, null); });
    child.once('close', finish);
    if (limits.signal?.aborted) kill();
  }).finally(() => (cmd.pidFile ? rm(cmd.pidFile, { force: true }) : undefined));
}

function capture(stream: Readable, limit: number) {
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  stream.on('data', (chunk: Buffer) => {
    if (kept + chunk.length > limit) truncated = true;
    const part = chunk.subarray(0, Math.max(0, limit - kept));
    if (part.length > 0) chunks.push(part);
    kept += part.length;
  });
  return {
    get truncated() { return truncated; },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

function killGroup(pgid: number | undefined): void {
  // Never our own group, nor init's: a pid file may name anything by the time it is read.
  if (pgid === undefined || pgid <= 1 || pgid === groupOf(process.pid)) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

function groupOf(pid: number): number | undefined {
  const pgrp = readProcStat(pid)?.pgrp;
  return Number.isInteger(pgrp) ? pgrp : undefined;
}

function pidIn(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
