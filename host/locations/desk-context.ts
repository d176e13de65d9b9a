/**
 * The desk a person works with, saved by `deskbox use` so that commands stop repeating
 * `--state` (or `--desk-file`, or `--broker ...`): one small JSON file in the user's config
 * folder. Precedence, lowest first: the built-in default (`.desk`), this file, the environment
 * (DESKBOX_STATE, DESKBOX_DESK_FILE), the command line.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import * as v from 'valibot';
import { describeIssues } from '../../broker/contract/messages.ts';
import { writeJsonAtomic } from './json-files.ts';

const ContextSchema = v.strictObject({
  v: v.literal(1),
  /** A simulated desk's state folder (absolute). */
  state: v.optional(v.string()),
  /** A real desk's desk file (absolute). */
  deskFile: v.optional(v.string()),
  /** A real desk's broker, with what reaching it needs. */
  broker: v.optional(v.string()),
  desk: v.optional(v.string()),
  ca: v.optional(v.string()),
  passwordFile: v.optional(v.string()),
});
export type DeskContext = v.InferOutput<typeof ContextSchema>;

export class DeskContextError extends Error {
  override readonly name = 'DeskContextError';
}

/** `$DESKBOX_CONTEXT`, else `$XDG_CONFIG_HOME/deskbox/context.json`, else `~/.config/deskbox/context.json`. */
export function contextFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DESKBOX_CONTEXT) return env.DESKBOX_CONTEXT;
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'deskbox', 'context.json');
}

/** The saved context, or undefined when there is none; a file that is not one is an error saying how to clear it. */
export function readContext(env: NodeJS.ProcessEnv = process.env): DeskContext | undefined {
  const file = contextFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DeskContextError(`${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DeskContextError(`${file} is not JSON: run deskbox use --clear, or deskbox use <state folder|desk file|broker url>`);
  }
  const parsed = v.safeParse(ContextSchema, json);
  if (!parsed.success) throw new DeskContextError(`${file}: ${describeIssues(parsed.issues)} (deskbox use --clear removes it)`);
  return parsed.output;
}

/**
 * What `deskbox use <target>` means: an mqtt:// or mqtts:// URL is a real desk's broker, a
 * .yaml/.yml file a real desk's desk file, anything else a simulated desk's state folder.
 * Paths become absolute, so the context holds from any folder. Pure.
 */
export function contextFor(target: string, cwd: string, extra: { desk?: string; ca?: string; passwordFile?: string } = {}): DeskContext {
  if (/^mqtts?:\/\//.test(target)) {
    return {
      v: 1, broker: target,
      ...(extra.desk !== undefined && { desk: extra.desk }),
      ...(extra.ca !== undefined && { ca: resolve(cwd, extra.ca) }),
      ...(extra.passwordFile !== undefined && { passwordFile: resolve(cwd, extra.passwordFile) }),
    };
  }
  if (extra.desk !== undefined || extra.ca !== undefined || extra.passwordFile !== undefined) {
    throw new DeskContextError('--desk, --ca and --password-file go with a broker URL (mqtts://host:8883)');
  }
  const ext = extname(target).toLowerCase();
  return ext === '.yaml' || ext === '.yml' ? { v: 1, deskFile: resolve(cwd, target) } : { v: 1, state: resolve(cwd, target) };
}

export async function saveContext(context: DeskContext, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = contextFile(env);
  mkdirSync(dirname(file), { recursive: true });
  await writeJsonAtomic(file, context);
  return file;
}

/** The environment defaults a context stands for (options.ts reads them); set only where unset. */
export function contextEnvironment(context: DeskContext): Record<string, string> {
  const pairs: [string, string | undefined][] = [
    ['DESKBOX_STATE', context.state], ['DESKBOX_DESK_FILE', context.deskFile], ['DESKBOX_BROKER', context.broker],
    ['DESKBOX_DESK', context.desk], ['DESKBOX_CA', context.ca], ['DESKBOX_PASSWORD_FILE', context.passwordFile],
  ];
  return Object.fromEntries(pairs.filter((p): p is [string, string] => p[1] !== undefined));
}
