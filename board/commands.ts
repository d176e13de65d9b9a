/**
 * What a board does with a command: a function from request to reply, through one handler
 * table keyed by the catalogue's ops (broker/contract/commands) and made from the agent's
 * features (board/ops/feature.ts). Arguments are validated by the catalogue before a handler
 * runs. Every request gets a reply; failures become error replies with a code the caller can
 * act on.
 */
import { COMMAND_OPS, isCommandOp, parseArgs, type CommandOp, type CommandResult } from '../broker/contract/commands/index.ts';
import type { Command, ErrorCode, Reply } from '../broker/contract/payloads.ts';
import { PAYLOAD_VERSION } from '../broker/contract/payloads.ts';
import { CommandError } from './ops/command-error.ts';
import type { Feature, Handlers } from './ops/feature.ts';

/** Board and host clocks may disagree by this much before a command reads as expired. */
export const DEADLINE_GRACE_MS = 30_000;

export function errorReply(id: string | null, code: ErrorCode, message: string): Reply {
  return { v: PAYLOAD_VERSION, id, ok: false, error: { code, message } };
}

function okReply(id: string, result: unknown): Reply {
  return { v: PAYLOAD_VERSION, id, ok: true, result };
}

/**
 * `op` with arguments as they came: refused (a CommandError) where the board cannot answer it
 * or the arguments do not fit the catalogue (`bad-args`), else what its handler gives or throws.
 */
export async function answer<Op extends CommandOp>(handlers: Handlers, op: Op, args: unknown): Promise<CommandResult<Op>> {
  const entry = handlers[op];
  if (!entry) throw new CommandError('unknown-op', `unknown op "${op}"`);
  if ('unavailable' in entry) throw new CommandError('failed', entry.unavailable);
  const parsed = parseArgs(op, args);
  if (!parsed.ok) throw new CommandError('bad-args', parsed.reason);
  return entry(parsed.args);
}

export interface Dispatch {
  handlers: Handlers;
  now(): number;
}

export async function handleCommand(cmd: Command, { handlers, now }: Dispatch): Promise<Reply> {
  if (cmd.deadline !== undefined && now() > cmd.deadline + DEADLINE_GRACE_MS) {
    return errorReply(cmd.id, 'expired', `${cmd.op} arrived after its sender stopped waiting (deadline ${new Date(cmd.deadline).toISOString()}); not run`);
  }
  if (!isCommandOp(cmd.op)) return errorReply(cmd.id, 'unknown-op', `unknown op "${cmd.op}"`);
  try {
    return okReply(cmd.id, await answer(handlers, cmd.op, cmd.args));
  } catch (err) {
    if (err instanceof CommandError) return errorReply(cmd.id, err.code, err.message);
    return errorReply(cmd.id, 'failed', `${cmd.op} failed: ${(err as Error).message}`);
  }
}

/** The agent's table: every op of the catalogue answered by exactly one feature. */
export function commandTable(features: readonly Feature[]) {
  const handlers: Record<string, unknown> = {};
  const owners = new Map<string, Feature>();
  for (const feature of features) {
    for (const [op, entry] of Object.entries(feature.handlers ?? {})) {
      if (entry === undefined) continue;
      if (owners.has(op)) throw new Error(`two features answer ${op}`);
      owners.set(op, feature);
      handlers[op] = entry;
    }
  }
  const missing = COMMAND_OPS.filter((op) => !owners.has(op));
  if (missing.length > 0) throw new Error(`no feature answers ${missing.join(', ')}`);
  return {
    handlers: handlers as Handlers,
    /** Tells the feature that answered `op` that its ok reply has gone out. */
    answered(op: string): void {
      if (isCommandOp(op)) owners.get(op)?.answered?.(op);
    },
  };
}

/** Best effort to find the id of a request that failed validation, so its sender hears back. */
export function salvageId(payload: Buffer): string | null {
  try {
    const json: unknown = JSON.parse(payload.toString());
    if (json && typeof json === 'object' && 'id' in json && typeof json.id === 'string') return json.id.slice(0, 128);
  } catch {
    // Not JSON at all: the reply goes out with a null id.
  }
  return null;
}
