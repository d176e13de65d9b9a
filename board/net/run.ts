/**
 * Runs the network tools (ip, bridge, tc, sh) for the net feature: stdin in, stdout and
 * stderr out; a failure is a NetCommandError naming the command (the batch line, when a batch
 * failed) and its stderr.
 */
import { spawn } from 'node:child_process';

export class NetCommandError extends Error {
  constructor(readonly command: string, readonly stderr: string, readonly exitCode: number | null) {
    super(`${command}: ${stderr.trim() || `exit ${exitCode}`}`);
    this.name = 'NetCommandError';
  }
}

export interface RunOutput { stdout: string; stderr: string; code: number | null }

export function run(file: string, args: readonly string[], input?: string): Promise<RunOutput> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.once('error', (e) => resolve({ stdout: '', stderr: e.message, code: null }));
    child.once('close', (code) => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code }));
    child.stdin.end(input ?? '');
  });
}

/** Runs and throws a NetCommandError unless it exits 0; the stdout otherwise. */
export async function runOk(file: string, args: readonly string[], input?: string): Promise<string> {
  const r = await run(file, args, input);
  if (r.code !== 0) throw new NetCommandError([file, ...args].join(' '), r.stderr, r.code);
  return r.stdout;
}

/**
 * A batch (`ip -batch -`, `bridge -batch -`, `tc -batch -`): these stop at the first failing
 * line and say `Command failed -:<n>`; the error names that line.
 */
export async function runBatch(tool: 'ip' | 'bridge' | 'tc', ns: string | null | undefined, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const args = [...(ns ? ['-n', ns] : []), '-batch', '-'];
  const r = await run(tool, args, lines.join('\n') + '\n');
  if (r.code === 0) return;
  const at = /Command failed -:(\d+)/.exec(r.stderr);
  const line = at ? lines[Number(at[1]) - 1] : undefined;
  const stderr = r.stderr.replace(/Command failed -:\d+\s*/g, '').trim();
  throw new NetCommandError(`${tool}${ns ? ` -n ${ns}` : ''} ${line ?? `-batch (${lines.length} lines)`}`, stderr, r.code);
}

export interface Batch {
  tool: 'ip' | 'bridge' | 'tc' | 'exec';
  /** The namespace (`-n`); undefined: the agent's own. */
  ns: string | null | undefined;
  lines: readonly string[];
  /** An exec's program and arguments. */
  file?: string;
  args?: readonly string[];
}

const MARK = '@@deskbox-batch';
const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Batches in order in one shell: `sh` and the tools it starts cost far less than a Node spawn
 * each. The first failing batch stops the script; the error names its failing line, as
 * runBatch's does.
 */
export async function runBatches(batches: readonly Batch[]): Promise<void> {
  if (batches.length === 0) return;
  const script = ['set -e', ...batches.map((b, i) => {
    const mark = `echo ${MARK} ${i} >&2`;
    if (b.tool === 'exec') return `${mark}\n${[b.file!, ...b.args!].map(shellQuote).join(' ')}`;
    const ns = b.ns ? `-n ${shellQuote(b.ns)} ` : '';
    return `${mark}\n${b.tool} ${ns}-batch - <<'DESKBOX_EOF'\n${b.lines.join('\n')}\nDESKBOX_EOF`;
  })].join('\n');
  const r = await run('sh', ['-c', script]);
  if (r.code === 0) return;
  const marks = [...r.stderr.matchAll(new RegExp(`${MARK} (\\d+)\\n`, 'g'))];
  const last = marks.at(-1);
  const b = batches[last ? Number(last[1]) : 0]!;
  const stderr = last ? r.stderr.slice(last.index! + last[0].length) : r.stderr;
  const at = /Command failed -:(\d+)/.exec(stderr);
  const line = at ? b.lines[Number(at[1]) - 1] : b.tool === 'exec' ? b.lines[0] : undefined;
  throw new NetCommandError(`${b.tool === 'exec' ? '' : `${b.tool}${b.ns ? ` -n ${b.ns}` : ''} `}${line ?? `-batch (${b.lines.length} lines)`}`, stderr.replace(/Command failed -:\d+\s*/g, '').trim(), r.code);
}

/** Runs `fn` over `items`, `width` at a time. */
export async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
